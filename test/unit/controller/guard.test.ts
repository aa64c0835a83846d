import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { evaluateGuard } from "../../../lib/core/controller/guard.js";
import type { GuardRecord } from "../../../lib/core/controller/records.js";

const LEASE = 10_000;
function health(up: string[], down: string[], leaving: string[] = []): Map<string, NodeHealth> {
  const entry = (id: string, isUp: boolean): [string, NodeHealth] => [
    id,
    nodeHealth(id, {
      up: isUp,
      lastHeardAt: 0,
      upSince: isUp ? 0 : null,
      leaseOver: !isUp && !leaving.includes(id), // silent past lease + grace
      leaving: leaving.includes(id),
    }),
  ];
  return new Map([...up.map((id) => entry(id, true)), ...down.map((id) => entry(id, false))]);
}

/** Runs the guard over successive observations, as passes would, and returns each decision. */
function run(steps: { at: number; up: string[]; down: string[] }[]) {
  let record: GuardRecord | null = null;
  return steps.map(({ at, up, down }) => {
    const decision = evaluateGuard(record, health(up, down), at, LEASE);
    record = decision.record;
    return decision;
  });
}

describe("mass-failure guard", () => {
  it("counts out nodes that leave on purpose at once: patching two of three nodes freezes nothing", () => {
    // Prepare
    const first = evaluateGuard(null, health(["a", "b", "c"], []), 0, LEASE);
    // Act
    const patched = evaluateGuard(first.record, health(["c"], ["a", "b"], ["a", "b"]), 2_000, LEASE);
    // Assess
    expect(patched).toMatchObject({ event: null, silent: [], voters: 1 });
    expect(patched.record.frozen).toBe(false);
  });

  it("freezes when more than half of the nodes fall silent at once, and thaws when they return", () => {
    // Act
    const [, silent, back] = run([
      { at: 0, up: ["a", "b", "c"], down: [] },
      { at: 12_000, up: ["c"], down: ["a", "b"] },
      { at: 20_000, up: ["a", "b", "c"], down: [] },
    ]);
    // Assess
    expect(silent).toMatchObject({ event: "guard-frozen", silent: ["a", "b"], voters: 3 });
    expect(silent!.record.frozen).toBe(true);
    expect(back).toMatchObject({ event: "guard-unfrozen" });
    expect(back!.record.frozen).toBe(false);
  });

  it("lets a cluster that loses nodes one at a time fail over down to its last node", () => {
    // Act
    const decisions = run([
      { at: 0, up: ["a", "b", "c"], down: [] },
      { at: 12_000, up: ["b", "c"], down: ["a"] },
      { at: 40_000, up: ["c"], down: ["a", "b"] },
      { at: 80_000, up: ["c"], down: ["a", "b"] },
    ]);
    // Assess
    expect(decisions.map((d) => d.record.frozen)).toEqual([false, false, false, false]);
    expect(decisions[2]!.voters).toBe(2);
  });

  it("counts two nodes that fall silent within one lease window together", () => {
    // Act: a is counted out at 12 s; b falls silent 5 s later, inside a's lease window.
    const decisions = run([
      { at: 0, up: ["a", "b", "c"], down: [] },
      { at: 12_000, up: ["b", "c"], down: ["a"] },
      { at: 17_000, up: ["c"], down: ["a", "b"] },
    ]);
    // Assess
    expect(decisions[2]).toMatchObject({ event: "guard-frozen", voters: 3 });
  });

  it("does not freeze a two-node cluster that loses one node, nor count nodes never heard", () => {
    // Act
    const [, decision] = run([
      { at: 0, up: ["a", "b"], down: ["never-heard"] },
      { at: 12_000, up: ["b"], down: ["a", "never-heard"] },
    ]);
    // Assess
    expect(decision!.record.frozen).toBe(false);
    expect(decision!.voters).toBe(2);
  });

  it("reports no change when nothing changed, so the pass writes nothing", () => {
    // Act
    const [, again] = run([
      { at: 0, up: ["a", "b"], down: [] },
      { at: 2_000, up: ["a", "b"], down: [] },
    ]);
    // Assess
    expect(again!.changed).toBe(false);
  });
});
