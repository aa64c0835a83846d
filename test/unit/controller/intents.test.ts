import { describe, expect, it } from "vitest";
import { definitionFrom, exampleDefinition } from "../../support/example-cluster.js";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { evaluateGuard } from "../../../lib/core/controller/guard.js";
import {
  decideIntent,
  drainRefusal,
  type GroupIntent,
  moveTarget,
  resetRefusal,
  resumeRefusal,
} from "../../../lib/core/controller/intents.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord } from "../../../lib/core/controller/records.js";
import type { ClusterDefinition } from "../../../lib/core/definition/types.js";

/**
 * Operator intents (docs/operations.md): each refusal names its reason, and each accepted intent becomes the same
 * kind of plan as the controller's own moves, under a raised epoch, in one versioned write.
 */
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const ARN = "arn:aws:sts::123456789012:assumed-role/ops/alice";

const def = definitionFrom(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
  - { id: n3, kind: onprem, principal: "arn:aws:iam::123456789012:role/n3", address: 203.0.113.3 }
  - { id: n4, kind: onprem, principal: "arn:aws:iam::123456789012:role/n4", address: 203.0.113.4 }
groups:
  - id: app
    preferredOwners: [n1, n2, n3]
    failback: { mode: immediate }
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const app = def.groups[0]!;

const up = (id: string, extra: Partial<NodeHealth> = {}) =>
  nodeHealth(id, {
    up: true,
    leaseOver: false,
    lastHeardAt: NOW - 1_000,
    upSince: NOW - 3_600_000,
    report: { nodeId: id, bootId: `boot-${id}`, seq: 9 },
    ...extra,
  });
const down = (id: string) =>
  nodeHealth(id, {
    up: false,
    leaseOver: true,
    lastHeardAt: NOW - 60_000,
    report: { nodeId: id, bootId: `boot-${id}`, seq: 3 },
  });
const healthOf = (...nodes: NodeHealth[]) => new Map(nodes.map((n) => [n.nodeId, n]));
const allUp = healthOf(up("n1"), up("n2"), up("n3"), up("n4"));

const onN1: GroupRecord = {
  ...emptyGroupRecord("app", NOW),
  version: 7,
  owner: "n1",
  epoch: 4,
  status: "online",
  desired: { svc: "online" },
  failovers: [NOW - 1_000],
};
const intent = (fields: Partial<GroupIntent> = {}): GroupIntent => ({
  groupId: "app",
  id: "i-1",
  action: "move",
  target: "n2",
  drill: false,
  by: ARN,
  at: NOW - 500,
  state: "pending",
  ...fields,
});
const ctx = (record: GroupRecord, health = allUp, definition: ClusterDefinition = def, frozen = false) => ({
  definition,
  group: definition.groups[0]!,
  record,
  health,
  frozen,
  now: NOW,
});
const refusal = (r: ReturnType<typeof moveTarget>) => ("refused" in r ? r.refused : null);

describe("moveTarget: a move refused with its reason", () => {
  it("when the target is down", () => {
    const health = healthOf(up("n1"), down("n2"), up("n3"));
    expect(refusal(moveTarget(def, app, onN1, health, { to: "n2", drill: false }))).toMatch(
      /^--to: n2 is down \(last heartbeat /,
    );
  });
  it("when the target is drained", () => {
    const health = healthOf(up("n1"), up("n2", { drained: true }), up("n3"));
    expect(refusal(moveTarget(def, app, onN1, health, { to: "n2", drill: false }))).toBe(
      "--to: n2 is drained (baton resume it first)",
    );
  });
  it("when the target is not a preferred owner", () => {
    expect(refusal(moveTarget(def, app, onN1, allUp, { to: "n4", drill: false }))).toBe(
      "--to: n4 is not a preferred owner of group app (preferred owners: n1, n2, n3)",
    );
  });
  it("when the target is not a node at all", () => {
    expect(refusal(moveTarget(def, app, onN1, allUp, { to: "nx", drill: false }))).toMatch(
      /^--to: nx is not a node of the cluster/,
    );
  });
  it("when the target already owns the group", () => {
    expect(refusal(moveTarget(def, app, onN1, allUp, { to: "n1", drill: false }))).toBe("group app is already on n1");
  });
  it("when the target is up but does not hear its answers", () => {
    const health = healthOf(up("n1"), up("n2", { answersLost: true }), up("n3"));
    expect(refusal(moveTarget(def, app, onN1, health, { to: "n2", drill: false }))).toMatch(
      /does not hear its answers/,
    );
  });
  it("when the target is in another zone than the group's volume", () => {
    const example = exampleDefinition();
    const moved: ClusterDefinition = {
      ...example,
      nodes: example.nodes.map((n) =>
        n.id === "db-b" && n.kind === "ec2" ? { ...n, availabilityZone: "us-east-1b" } : n,
      ),
    };
    const postgres = moved.groups.find((g) => g.id === "postgres")!;
    const record = { ...onN1, groupId: "postgres", owner: "db-a" };
    expect(
      refusal(moveTarget(moved, postgres, record, healthOf(up("db-a"), up("db-b")), { to: "db-b", drill: false })),
    ).toBe("--to: db-b is in us-east-1b, not in the zone of the group's volume (us-east-1a)");
  });
  it("when the group is failed (reset first) or already moving", () => {
    expect(refusal(moveTarget(def, app, { ...onN1, status: "failed" }, allUp, { to: "n2", drill: false }))).toMatch(
      /^group app is failed .*: reset it first \(baton reset app\)$/,
    );
    expect(refusal(moveTarget(def, app, { ...onN1, status: "moving" }, allUp, { to: "n2", drill: false }))).toMatch(
      /^group app is already moving/,
    );
  });
  it("when no other preferred owner can take it and none was named", () => {
    const health = healthOf(up("n1"), down("n2"), up("n3", { drained: true }));
    expect(refusal(moveTarget(def, app, onN1, health, { to: null, drill: false }))).toBe(
      "no other preferred owner of group app is up, undrained and hearing its answers",
    );
  });
  it("picks the next preferred owner that can take it when none was named", () => {
    const health = healthOf(up("n1"), up("n2", { drained: true }), up("n3"));
    expect(moveTarget(def, app, onN1, health, { to: null, drill: false })).toEqual({ target: "n3" });
  });
  it("a drill, when the group is not online on a live owner", () => {
    expect(refusal(moveTarget(def, app, { ...onN1, status: "offline" }, allUp, { to: "n2", drill: true }))).toMatch(
      /^group app is not healthy enough for a drill: it is offline/,
    );
    const ownerDown = healthOf(down("n1"), up("n2"), up("n3"));
    expect(refusal(moveTarget(def, app, onN1, ownerDown, { to: "n2", drill: true }))).toBe(
      "group app is not healthy enough for a drill: it is online and its owner n1 is not up",
    );
  });
});

describe("decideIntent: what the controller does with a pending intent", () => {
  it("a move from a live owner: a planned move awaiting the owner's own stop, epoch raised, no failover counted", () => {
    const d = decideIntent(ctx(onN1), intent());
    expect(d.kind).toBe("write");
    if (d.kind !== "write") return;
    expect(d.record).toMatchObject({
      version: 8,
      owner: "n2",
      epoch: 5,
      status: "moving",
      failovers: [NOW - 1_000],
      plan: { source: "n1", sourceAlive: true, operator: { intentId: "i-1", by: ARN, drill: false } },
    });
    expect(d.record.failedOn).toEqual({});
    expect(d.record.plan!.steps.map((s) => `${describeStep(s)}@${"nodeId" in s ? s.nodeId : ""}`)).toEqual([
      "await-offline svc@n1",
      "await-online svc@n2",
    ]);
    expect(d.basedOn).toBeUndefined();
    expect(d.events.map((e) => e.type)).toEqual(["intent-taken", "failover-started"]);
  });

  it("a drill is a move marked as a drill", () => {
    const d = decideIntent(ctx(onN1), intent({ drill: true }));
    expect(d.kind === "write" && d.record.plan?.operator).toEqual({ intentId: "i-1", by: ARN, drill: true });
  });

  it("refused, with the reason, when the target went down after the intent was written", () => {
    const d = decideIntent(ctx(onN1, healthOf(up("n1"), down("n2"), up("n3"))), intent());
    expect(d.kind).toBe("refused");
    expect(d.kind === "refused" && d.reason).toMatch(/^--to: n2 is down/);
    expect(d.kind === "refused" && d.event).toMatchObject({ type: "intent-refused", by: ARN, action: "move" });
  });

  it("refused while the guard is frozen", () => {
    const d = decideIntent(ctx(onN1, allUp, def, true), intent());
    expect(d.kind === "refused" && d.reason).toMatch(/frozen/);
  });

  it("a reset of a group that is not failed is refused", () => {
    const d = decideIntent(ctx(onN1), intent({ action: "reset", target: null }));
    expect(d.kind === "refused" && d.reason).toBe(
      "group app is online, not failed: only a failed group is reset (move it with baton move)",
    );
    expect(resetRefusal({ groupId: "app", status: "failed" })).toBeNull();
  });

  it("a reset of a failed group: offline, failovers cleared, old owner and unfreed sources kept", () => {
    const failed: GroupRecord = {
      ...onN1,
      status: "failed",
      statusReason: "await-online svc timed out",
      unconfirmedSources: ["n3"],
      failovers: [NOW - 10_000, NOW - 5_000],
    };
    const d = decideIntent(ctx(failed), intent({ action: "reset", target: null }));
    expect(d.kind).toBe("write");
    if (d.kind !== "write") return;
    expect(d.record).toMatchObject({
      version: 8,
      owner: "n1",
      epoch: 4,
      status: "offline",
      failovers: [],
      plan: null,
      unconfirmedSources: ["n3"],
    });
  });

  it("a reset of a failed group whose old owner is silent, --to a node: the old owner is the source to fence", () => {
    const example = exampleDefinition();
    const postgres = example.groups.find((g) => g.id === "postgres")!;
    const failed: GroupRecord = {
      ...emptyGroupRecord("postgres", NOW),
      version: 3,
      owner: "db-a",
      epoch: 2,
      status: "failed",
      statusReason: "x",
    };
    const health = healthOf(down("db-a"), up("db-b"), up("office-1"));
    const d = decideIntent(
      { definition: example, group: postgres, record: failed, health, frozen: false, now: NOW },
      intent({ groupId: "postgres", action: "reset", target: "db-b" }),
    );
    expect(d.kind).toBe("write");
    if (d.kind !== "write") return;
    expect(d.record).toMatchObject({ version: 4, owner: "db-b", epoch: 3, status: "moving", failovers: [] });
    expect(d.record.plan).toMatchObject({ source: "db-a", sourceAlive: false });
    const fence = d.record.plan!.steps.find((s) => s.kind === "fence");
    expect(fence).toMatchObject({ nodeId: "db-a", onlyIfUnconfirmed: false });
    // Taken on the old owner's silence: the write holds only if its last report is still its latest.
    expect(d.basedOn).toEqual([{ nodeId: "db-a", bootId: "boot-db-a", seq: 3, latest: true }]);
  });
});

describe("drain and resume", () => {
  const groups = new Map([["app", { owner: "n1" }]]);
  it("a drain is refused for an unknown node, a drained node, or when a group it runs has nowhere to go", () => {
    expect(drainRefusal(def, "nx", undefined, groups, allUp)).toMatch(/^nx is not a node of the cluster/);
    expect(
      drainRefusal(def, "n1", { nodeId: "n1", drained: true, failback: false, by: ARN, at: NOW }, groups, allUp),
    ).toBe(`n1 is already drained (by ${ARN} at 2026-11-30T12:00:00.000Z)`);
    expect(drainRefusal(def, "n1", undefined, groups, healthOf(up("n1"), down("n2"), down("n3")))).toBe(
      "group app runs on n1 and no other preferred owner (n2, n3) is up to take it",
    );
    expect(drainRefusal(def, "n1", undefined, groups, allUp)).toBeNull();
  });
  it("a resume is refused for a node that is not drained; --failback also lifts a failback hold", () => {
    expect(resumeRefusal(def, "n1", undefined, false)).toBe("n1 is not drained: nothing to resume");
    const held = { nodeId: "n1", drained: false, failback: false, by: ARN, at: NOW };
    expect(resumeRefusal(def, "n1", held, false)).toBe("n1 is not drained: nothing to resume");
    expect(resumeRefusal(def, "n1", held, true)).toBeNull();
    expect(resumeRefusal(def, "n1", { ...held, drained: true }, false)).toBeNull();
  });

  it("a drained owner's group moves off as a planned move (owner awaited, not counted, not held against it)", () => {
    const health = healthOf(up("n1", { drained: true }), up("n2"), up("n3"));
    const d = decideGroup(ctx(onN1, health));
    expect(d.kind).toBe("write");
    if (d.kind !== "write") return;
    expect(d.record).toMatchObject({ owner: "n2", epoch: 5, failovers: [NOW - 1_000], failedOn: {} });
    expect(d.record.plan).toMatchObject({ source: "n1", sourceAlive: true });
  });

  it("a drained owner's group stays when no other node can take it", () => {
    const health = healthOf(up("n1", { drained: true }), down("n2"), down("n3"));
    expect(decideGroup(ctx(onN1, health)).kind).toBe("none");
  });

  it("nothing is placed on a drained node, and a group waiting on its drained owner is not brought back there", () => {
    const health = healthOf(up("n1", { drained: true }), down("n2"), down("n3"));
    const never = emptyGroupRecord("app", NOW);
    const placed = decideGroup(ctx(never, health));
    expect(placed.kind === "write" && placed.record.status).toBe("offline");
    const waiting = { ...onN1, status: "offline" as const };
    const d = decideGroup(ctx(waiting, health));
    expect(d.kind === "write" && d.record).toMatchObject({ status: "offline", owner: "n1" });
    expect(d.kind === "write" && d.record.statusReason).toBe(
      "its owner n1 is drained and no other preferred owner is up",
    );
  });

  it("no failback to a drained node, nor to one resumed without --failback; with it, the failback policy applies", () => {
    const onN2 = { ...onN1, owner: "n2" };
    expect(decideGroup(ctx(onN2, healthOf(up("n1", { drained: true }), up("n2"), up("n3")))).kind).toBe("none");
    expect(decideGroup(ctx(onN2, healthOf(up("n1", { failbackBlocked: true }), up("n2"), up("n3")))).kind).toBe("none");
    const back = decideGroup(ctx(onN2, allUp));
    expect(back.kind === "write" && back.record.plan).toMatchObject({ kind: "failback", target: "n1" });
  });

  it("assessNodes reads the admin items: drained, and failback held after a resume without --failback", () => {
    const admin = new Map([
      ["n1", { nodeId: "n1", drained: true, failback: false, by: ARN, at: NOW }],
      ["n2", { nodeId: "n2", drained: false, failback: false, by: ARN, at: NOW }],
    ]);
    const health = assessNodes(def, new Map(), NOW, new Map(), admin);
    expect(health.get("n1")).toMatchObject({ drained: true, failbackBlocked: true });
    expect(health.get("n2")).toMatchObject({ failbackBlocked: true });
    expect(health.get("n2")?.drained).toBeUndefined();
    expect(health.get("n3")?.drained).toBeUndefined();
  });

  it("a drained node that falls silent is no failure for the guard: 2 of 4 silent, one drained, does not freeze", () => {
    const voters = {
      n1: { removedAt: null },
      n2: { removedAt: null },
      n3: { removedAt: null },
      n4: { removedAt: null },
    };
    const previous = { version: 1, frozen: false, since: 0, voters };
    const health = healthOf(down("n1"), nodeHealth("n2", { up: false, drained: true }), up("n3"), up("n4"));
    // Without the drain, 2 silent of 4 voters is not more than half either; with a third node silent it would be.
    const three = healthOf(down("n1"), nodeHealth("n2", { up: false, drained: true }), down("n3"), up("n4"));
    expect(evaluateGuard(previous, health, NOW, 10_000).record.frozen).toBe(false);
    // n2 drained does not vote: 2 silent (n1, n3) of 3 voters is more than half: frozen, n2 not counted.
    const frozen = evaluateGuard(previous, three, NOW, 10_000);
    expect(frozen.record.frozen).toBe(true);
    expect(frozen.silent).toEqual(["n1", "n3"]);
    expect(frozen.voters).toBe(3);
    // Undrained, n2's silence would count: 3 silent of 4.
    const undrained = healthOf(down("n1"), down("n2"), up("n3"), up("n4"));
    expect(evaluateGuard(previous, undrained, NOW, 10_000).silent).toEqual(["n1", "n2"]);
  });
});
