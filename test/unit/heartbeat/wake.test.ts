import { describe, expect, it } from "vitest";
import { type PeerLiveness, wakeReason, watchedPeers } from "../../../lib/core/heartbeat/wake.js";
import type { GroupOwnership } from "../../../lib/core/heartbeat/store.js";
import { exampleIndex } from "../../support/example-cluster.js";

// Example timings (examples/cluster.yaml): lease 10 s, grace 2 s (lease + grace = 12 s of silence: down), tick 2 s.
const SILENT_AFTER_MS = 10_000 + 2_000;
const RECENT_MS = 8_000;
const index = exampleIndex();
const heartbeat = { nodeId: "db-b", bootId: "b", seq: 5, resources: {} };
const none = new Map<string, GroupOwnership>();

describe("the peers a node's heartbeats watch", () => {
  it("are the next two nodes of the definition, round the ring: every node is watched by two others", () => {
    // Act
    const watched = ["db-a", "db-b", "office-1"].map((id) => watchedPeers(index, id));
    // Assess
    expect(watched).toEqual([
      ["db-b", "office-1"],
      ["office-1", "db-a"],
      ["db-a", "db-b"],
    ]);
  });
});

describe("waking the controller", () => {
  const peers = (receivedAt: number): Map<string, PeerLiveness> =>
    new Map([["db-a", { receivedAt, leaseUntil: receivedAt + 10_000 }]]);

  it("wakes it once a watched peer has been silent for longer than lease + grace, not before", () => {
    // Act
    const before = wakeReason(index, heartbeat, 100_000 + SILENT_AFTER_MS, peers(100_000), none, RECENT_MS);
    const after = wakeReason(index, heartbeat, 100_000 + SILENT_AFTER_MS + 1, peers(100_000), none, RECENT_MS);
    // Assess
    expect(before).toBeUndefined();
    expect(after).toEqual({ kind: "peer-silent", nodeId: "db-a" });
  });

  it("waits out a longer lease an earlier answer granted (leaseUntil), as the controller does", () => {
    // Prepare: a lease until 30 s after the last heartbeat (a deploy shortened it since).
    const longer = new Map([["db-a", { receivedAt: 100_000, leaseUntil: 130_000 }]]);
    // Act
    const early = wakeReason(index, heartbeat, 100_000 + SILENT_AFTER_MS + 1, longer, none, RECENT_MS);
    const late = wakeReason(index, heartbeat, 130_000 + 2_000 + 1, longer, none, RECENT_MS);
    // Assess
    expect(early).toBeUndefined();
    expect(late).toEqual({ kind: "peer-silent", nodeId: "db-a" });
  });

  it("does not wake it again and again for a peer silent for long (the schedule's pass is the backstop)", () => {
    // Act
    const stale = wakeReason(
      index,
      heartbeat,
      100_000 + SILENT_AFTER_MS + RECENT_MS + 1,
      peers(100_000),
      none,
      RECENT_MS,
    );
    // Assess
    expect(stale).toBeUndefined();
  });

  it("wakes it when the owner of a group on the move reports every resource it is asked to run online", () => {
    // Prepare: postgres moving to db-b, pg-mount and postgres wanted online.
    const moving = new Map<string, GroupOwnership>([
      [
        "postgres",
        { owner: "db-b", epoch: 2, desired: { "pg-mount": "online", postgres: "online" }, status: "moving" },
      ],
    ]);
    const told = { ...heartbeat, epochs: { postgres: 2 } };
    const partly = { ...told, resources: { "pg-mount": "online" as const, postgres: "starting" as const } };
    const fully = { ...told, resources: { "pg-mount": "online" as const, postgres: "online" as const } };
    const settled = new Map([["postgres", { ...moving.get("postgres")!, status: "online" }]]);
    // Act / Assess
    expect(wakeReason(index, partly, 1_000, new Map(), moving, RECENT_MS)).toBeUndefined();
    expect(wakeReason(index, fully, 1_000, new Map(), moving, RECENT_MS)).toEqual({
      kind: "report",
      groupId: "postgres",
    });
    expect(wakeReason(index, fully, 1_000, new Map(), settled, RECENT_MS)).toBeUndefined();
    expect(wakeReason(index, { ...fully, nodeId: "db-a" }, 1_000, new Map(), moving, RECENT_MS)).toBeUndefined();
  });

  it("wakes it when a heartbeat brings trouble: leaving, a resource failed or fenced, an owned group not told of", () => {
    // Prepare: db-b owns postgres (online).
    const owned = new Map<string, GroupOwnership>([
      [
        "postgres",
        { owner: "db-b", epoch: 2, desired: { "pg-mount": "online", postgres: "online" }, status: "online" },
      ],
    ]);
    const fine = {
      ...heartbeat,
      epochs: { postgres: 2 },
      resources: { "pg-mount": "online" as const, postgres: "online" as const },
    };
    // Act / Assess
    expect(wakeReason(index, fine, 1_000, new Map(), owned, RECENT_MS)).toBeUndefined();
    expect(wakeReason(index, { ...fine, leaving: true }, 1_000, new Map(), owned, RECENT_MS)).toMatchObject({
      why: "leaving",
    });
    expect(
      wakeReason(
        index,
        { ...fine, resources: { ...fine.resources, postgres: "failed" } },
        1_000,
        new Map(),
        owned,
        RECENT_MS,
      ),
    ).toMatchObject({ why: "postgres failed" });
    expect(
      wakeReason(
        index,
        { ...fine, resources: { ...fine.resources, postgres: "fenced" } },
        1_000,
        new Map(),
        owned,
        RECENT_MS,
      ),
    ).toMatchObject({ why: "postgres fenced" });
    expect(wakeReason(index, { ...fine, epochs: {} }, 1_000, new Map(), owned, RECENT_MS)).toMatchObject({
      why: "not told of postgres",
    });
  });
});
