import { describe, expect, it } from "vitest";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import type { NodeReport } from "../../../lib/core/controller/records.js";
import { exampleDefinition } from "../../support/example-cluster.js";

// A deploy that shortens the lease (issue 8, 1.7): a node keeps the lease its last answer granted, whatever the
// definition says now. The example definition's lease is 10 s; the node's last answer, from the old deploy,
// granted 20 s. grace(lease) = max(2 s, lease / 5): grace(10 s) = 2 s, grace(20 s) = 4 s.

const definition = exampleDefinition();
const LAST_HEARD = Date.UTC(2026, 10, 22, 12, 0, 0);

function heard(extra: Partial<NodeReport>): ReadonlyMap<string, NodeReport> {
  return new Map([
    [
      "db-a",
      {
        nodeId: "db-a",
        bootId: "b1",
        seq: 9,
        receivedAt: LAST_HEARD,
        bootStartedAt: LAST_HEARD - 3_600_000,
        resources: {},
        leaving: false,
        epochs: {},
        ...extra,
      },
    ],
  ]);
}

const up = (liveness: ReadonlyMap<string, NodeReport>, now: number) =>
  assessNodes(definition, liveness, now).get("db-a")?.up;

describe("detection after a deploy that shortened the lease", () => {
  it("the definition's lease in use is 10 s (what the numbers below assume)", () => {
    expect(definition.timing.leaseDurationMs).toBe(10_000);
  });

  it("waits out the 20 s lease the node was granted, plus grace(20 s) = 4 s: 24 s after its last heartbeat", () => {
    // Prepare
    const granted20s = heard({ leaseMs: 20_000, leaseUntil: LAST_HEARD + 20_000 });
    // Act & Assess: the new definition alone would say down after 10 s + 2 s = 12 s.
    expect(up(granted20s, LAST_HEARD + 12_001)).toBe(true);
    expect(up(granted20s, LAST_HEARD + 20_000 + 4_000)).toBe(true);
    expect(up(granted20s, LAST_HEARD + 20_000 + 4_000 + 1)).toBe(false);
  });

  it("waits out a longer lease granted by an earlier answer that a later, shorter one did not replace", () => {
    // Prepare: granted 20 s at LAST_HEARD − 2 s (old deploy); the new deploy's answer to the heartbeat received at
    // LAST_HEARD granted 10 s and may have been lost, so the node may hold its lease until LAST_HEARD + 18 s.
    const kept = heard({ leaseMs: 20_000, leaseUntil: LAST_HEARD - 2_000 + 20_000 });
    // Act & Assess
    expect(up(kept, LAST_HEARD + 18_000 + 4_000)).toBe(true);
    expect(up(kept, LAST_HEARD + 18_000 + 4_000 + 1)).toBe(false);
  });

  it("uses the definition's lease when it is the longer (a deploy that lengthened it), or nothing was recorded", () => {
    // Prepare
    const granted5s = heard({ leaseMs: 5_000, leaseUntil: LAST_HEARD + 5_000 });
    const unrecorded = heard({});
    // Act & Assess: 10 s + 2 s.
    for (const liveness of [granted5s, unrecorded]) {
      expect(up(liveness, LAST_HEARD + 12_000)).toBe(true);
      expect(up(liveness, LAST_HEARD + 12_001)).toBe(false);
    }
  });
});
