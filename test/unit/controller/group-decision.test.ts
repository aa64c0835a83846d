import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import type { GroupContext } from "../../../lib/core/controller/group-moves.js";
import { emptyGroupRecord, type GroupRecord } from "../../../lib/core/controller/records.js";
import { isAgentResource } from "../../../lib/core/definition/types.js";
import { exampleDefinition } from "../../support/example-cluster.js";

const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const reports = definition.groups.find((g) => g.id === "reports")!;
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0); // 12:00 UTC, outside postgres's 01:00-05:00 failback window

function health(
  up: string[],
  failed: Record<string, string[]> = {},
  upSince = NOW - 3_600_000,
): Map<string, NodeHealth> {
  return new Map(
    definition.nodes.map((n) => [
      n.id,
      nodeHealth(n.id, {
        up: up.includes(n.id),
        lastHeardAt: NOW - (up.includes(n.id) ? 1_000 : 15_000),
        upSince: up.includes(n.id) ? upSince : null,
        failedResources: failed[n.id] ?? [],
        leaseOver: !up.includes(n.id), // silent past lease + grace
      }),
    ]),
  );
}

/** Online as a completed plan leaves it: every agent resource of the group desired online. */
function online(groupId: string, owner: string, epoch = 1, extra: Partial<GroupRecord> = {}): GroupRecord {
  const group = definition.groups.find((g) => g.id === groupId)!;
  const desired = Object.fromEntries(group.resources.filter(isAgentResource).map((r) => [r.id, "online" as const]));
  return {
    ...emptyGroupRecord(groupId, NOW),
    version: 3,
    owner,
    epoch,
    status: "online",
    statusReason: "",
    desired,
    ...extra,
  };
}

const ctx = (over: Partial<GroupContext>): GroupContext => ({
  definition,
  group: postgres,
  record: emptyGroupRecord("postgres", NOW),
  health: health(["db-a", "db-b", "office-1"]),
  frozen: false,
  now: NOW,
  ...over,
});

describe("decideGroup", () => {
  it("places a new group on its most preferred node that is up, raising the epoch", () => {
    // Act
    const decision = decideGroup(ctx({ health: health(["db-b"]) }));
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: { owner: "db-b", epoch: 1, version: 1, status: "moving", plan: { kind: "place", source: null } },
    });
  });

  it("fails a group over from a silent owner to the next preferred node, counting the failover", () => {
    // Act
    const decision = decideGroup(ctx({ record: online("postgres", "db-a", 4), health: health(["db-b", "office-1"]) }));
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: {
        owner: "db-b",
        epoch: 5,
        version: 4,
        failovers: [NOW],
        plan: { kind: "failover", source: "db-a", sourceAlive: false },
      },
      event: { type: "failover-started", detectionDelayMs: 15_000 },
    });
  });

  it("leaves the group failed, unmoved, once the threshold of failovers within the period is reached", () => {
    // Prepare: threshold 2 within 6 h.
    const record = online("postgres", "db-a", 4, { failovers: [NOW - 3_600_000, NOW - 60_000] });
    // Act
    const decision = decideGroup(ctx({ record, health: health(["db-b"]) }));
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: { status: "failed", owner: "db-a", epoch: 4 },
      event: { type: "group-failed" },
    });
  });

  it("forgets failovers older than the period", () => {
    // Prepare
    const record = online("postgres", "db-a", 4, { failovers: [NOW - 7 * 3_600_000, NOW - 6.5 * 3_600_000] });
    // Act
    const decision = decideGroup(ctx({ record, health: health(["db-b"]) }));
    // Assess
    expect(decision).toMatchObject({ kind: "write", record: { owner: "db-b", failovers: [NOW] } });
  });

  it("waits offline, keeping the old owner for fencing, when no other preferred owner is up; says so once", () => {
    // Prepare
    const record = online("postgres", "db-a");
    // Act
    const first = decideGroup(ctx({ record, health: health(["office-1"]) }));
    const again =
      first.kind === "write" ? decideGroup(ctx({ record: first.record, health: health(["office-1"]) })) : first;
    // Assess
    expect(first).toMatchObject({
      kind: "write",
      record: { status: "offline", owner: "db-a", epoch: 1 },
      event: { type: "group-waiting" },
    });
    expect(again).toEqual({ kind: "none" });
  });

  it("fails over when the owner reports an agent resource failed, with the source alive", () => {
    // Act
    const decision = decideGroup(
      ctx({ record: online("postgres", "db-a"), health: health(["db-a", "db-b"], { "db-a": ["postgres"] }) }),
    );
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: { owner: "db-b", plan: { sourceAlive: true, reason: "resource postgres failed on db-a" } },
    });
  });

  it("fails back at once (mode immediate) to a preferred owner that has settled, without counting a failover", () => {
    // Act
    const decision = decideGroup(
      ctx({ group: reports, record: online("reports", "db-b"), health: health(["db-b", "office-1"]) }),
    );
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: { owner: "office-1", failovers: [], plan: { kind: "failback" } },
    });
  });

  it("does not fail back to a node that has just come up, nor outside the failback window", () => {
    // Act
    const fresh = decideGroup(
      ctx({ group: reports, record: online("reports", "db-b"), health: health(["db-b", "office-1"], {}, NOW - 5_000) }),
    );
    const outside = decideGroup(ctx({ record: online("postgres", "db-b"), health: health(["db-a", "db-b"]) }));
    const twoAm = Date.UTC(2026, 10, 22, 2, 0);
    const inside = decideGroup(
      ctx({ record: online("postgres", "db-b"), health: health(["db-a", "db-b"], {}, twoAm - 3_600_000), now: twoAm }),
    );
    // Assess
    expect(fresh).toEqual({ kind: "none" });
    expect(outside).toEqual({ kind: "none" });
    expect(inside).toMatchObject({ kind: "write", record: { owner: "db-a", plan: { kind: "failback" } } });
  });

  it("does not fail back from an owner that is restarting the group, and does once it runs it again", () => {
    // Prepare: db-b owns reports; office-1, more preferred, has been up for an hour. db-b's agent restarted: its
    // new boot has not been told of the group yet (or is still starting it).
    const restarting = health(["db-b", "office-1"]);
    restarting.set("db-b", { ...restarting.get("db-b")!, unsettledGroups: ["reports"] });
    // Act
    const during = decideGroup(ctx({ group: reports, record: online("reports", "db-b"), health: restarting }));
    const after = decideGroup(
      ctx({ group: reports, record: online("reports", "db-b"), health: health(["db-b", "office-1"]) }),
    );
    // Assess
    expect(during).toEqual({ kind: "none" });
    expect(after).toMatchObject({ kind: "write", record: { owner: "office-1", plan: { kind: "failback" } } });
  });

  it("remembers a node where a resource failed, and does not fail back to it within the failover period", () => {
    // Prepare
    const failedOver = decideGroup(
      ctx({
        group: reports,
        record: online("reports", "office-1"),
        health: health(["office-1", "db-b"], { "office-1": ["report-svc"] }),
      }),
    );
    const onDbB = online("reports", "db-b", 2, { failedOn: { "office-1": NOW } });
    // Act
    const soon = decideGroup(
      ctx({ group: reports, record: onDbB, health: health(["office-1", "db-b"]), now: NOW + 3_600_000 }),
    );
    const later = decideGroup(
      ctx({ group: reports, record: onDbB, health: health(["office-1", "db-b"]), now: NOW + 7 * 3_600_000 }),
    );
    // Assess
    expect(failedOver).toMatchObject({ kind: "write", record: { owner: "db-b", failedOn: { "office-1": NOW } } });
    expect(soon).toEqual({ kind: "none" });
    expect(later).toMatchObject({ kind: "write", record: { owner: "office-1", plan: { kind: "failback" } } });
  });

  it("still fails back to a node that had only gone silent (a reboot, patching)", () => {
    // Act
    const decision = decideGroup(
      ctx({
        group: reports,
        record: online("reports", "db-b", 2, { failovers: [NOW - 60_000] }),
        health: health(["office-1", "db-b"]),
      }),
    );
    // Assess
    expect(decision).toMatchObject({ kind: "write", record: { owner: "office-1", plan: { kind: "failback" } } });
  });

  it("moves a reset group (offline, failovers cleared) from its silent owner by fencing it first", () => {
    // Prepare: docs/operations.md "Restarting a failed group" left owner db-a (silent) with status offline.
    const record = online("postgres", "db-a", 4, { status: "offline", failovers: [] });
    // Act
    const decision = decideGroup(ctx({ record, health: health(["db-b"]) }));
    // Assess
    expect(decision).toMatchObject({
      kind: "write",
      record: {
        owner: "db-b",
        epoch: 5,
        failovers: [NOW],
        plan: { kind: "failover", source: "db-a", sourceAlive: false },
      },
    });
    const steps = decision.kind === "write" ? decision.record.plan!.steps.slice(0, 3) : [];
    expect(steps).toEqual([
      {
        kind: "check-volume-zone",
        resourceId: "data",
        volumeId: "vol-0a1b2c3d4e5f60001",
        instanceId: "i-0a1b2c3d4e5f60002",
      },
      { kind: "fence", instanceId: "i-0a1b2c3d4e5f60001", onlyIfUnconfirmed: false, nodeId: "db-a" },
      {
        kind: "detach-volume",
        resourceId: "data",
        volumeId: "vol-0a1b2c3d4e5f60001",
        instanceId: "i-0a1b2c3d4e5f60001",
        nodeId: "db-a",
      },
    ]);
  });

  it("starts nothing while the guard is frozen", () => {
    // Act
    const decision = decideGroup(ctx({ record: online("postgres", "db-a"), health: health(["db-b"]), frozen: true }));
    // Assess
    expect(decision).toEqual({ kind: "none" });
  });
});
