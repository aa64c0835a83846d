import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { advance } from "../../../lib/core/controller/advance.js";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord, type NodeReport } from "../../../lib/core/controller/records.js";

/**
 * A deploy removes node n2, which still owns group app (or is a plan's target). Its heartbeats are refused from
 * then on (404), but the lease its last answer granted runs on: the group moves, and its new owner is told to
 * start only once that lease + grace are over (or n2 confirmed the stop before the deploy). A removed node is
 * judged from its liveness item, as any node; one never heard, or silent past its lease, needs no step.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const LEASE = 10_000;
const GRACE = 2_000; // max(2 s, lease / 5)
// After the deploy: n2 is gone from the definition.
const after = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
groups:
  - id: app
    preferredOwners: [n1]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const group = after.groups[0]!;

const report = (id: string, receivedAt: number, resources: NodeReport["resources"] = {}): NodeReport => ({
  nodeId: id,
  bootId: `${id}-boot`,
  seq: 9,
  receivedAt,
  bootStartedAt: NOW - 3_600_000,
  resources,
  leaving: false,
  epochs: { app: 3 },
  leaseMs: LEASE,
  leaseUntil: receivedAt + LEASE,
});

const ownedByN2: GroupRecord = {
  ...emptyGroupRecord("app", NOW),
  version: 4,
  owner: "n2",
  epoch: 3,
  status: "online",
  desired: { svc: "online" },
};

const steps = (record: GroupRecord): string[] =>
  record.plan!.steps.map((s) => `${describeStep(s)}${"nodeId" in s && s.nodeId ? `@${s.nodeId}` : ""}`);

function decide(record: GroupRecord, liveness: Map<string, NodeReport>): GroupRecord {
  const decision = decideGroup({
    definition: after,
    group,
    record,
    health: assessNodes(after, liveness, NOW),
    frozen: false,
    now: NOW,
  });
  expect(decision.kind).toBe("write");
  return (decision as { record: GroupRecord }).record;
}

describe("a node removed from the definition while it owns a group", () => {
  it("moves the group, and tells the new owner to start only once the removed node's lease + grace are over", () => {
    const n2Last = NOW - 1_000; // n2's last heartbeat before the deploy
    const liveness = new Map([
      ["n1", report("n1", NOW - 500)],
      ["n2", report("n2", n2Last, { svc: "online" })],
    ]);
    const moving = decide(ownedByN2, liveness);
    expect(moving).toMatchObject({ owner: "n1", status: "moving", plan: { source: "n2" } });
    expect(steps(moving)).toEqual(["await-offline svc@n2", "await-online svc@n1"]);
    expect(moving.desired).toEqual({ svc: "offline" });

    const heldUntil = n2Last + LEASE + GRACE; // NOW + 11 000
    const at = (t: number) => {
      const later = new Map([...liveness, ["n1", report("n1", t - 500)]]);
      const health = assessNodes(after, later, t);
      const n2 = health.get("n2");
      return advance(
        moving,
        { kind: "seen", seen: { liveness: later.get("n2"), nodeUp: n2?.up === true, leaseOver: n2?.leaseOver } },
        t,
        { definition: after, group, health, frozen: false, actedOn: null },
      );
    };
    expect(at(NOW + 10).record).toBeNull();
    expect(at(heldUntil).record).toBeNull();
    expect(at(heldUntil + 1).record).toMatchObject({ desired: { svc: "online" }, plan: { stepIndex: 1 } });
  });

  it("needs no step for a removed node silent past its lease, or never heard", () => {
    const silent = decide(
      ownedByN2,
      new Map([
        ["n1", report("n1", NOW - 500)],
        ["n2", report("n2", NOW - 60_000, { svc: "online" })],
      ]),
    );
    expect(steps(silent)).toEqual(["await-online svc@n1"]);
    const never = decide(ownedByN2, new Map([["n1", report("n1", NOW - 500)]]));
    expect(steps(never)).toEqual(["await-online svc@n1"]);
  });

  it("moves on from a plan whose target was removed, keeping the target as a source", () => {
    const movingToN2: GroupRecord = {
      ...ownedByN2,
      status: "moving",
      plan: {
        kind: "failover",
        reason: "test",
        source: "n1",
        sourceAlive: true,
        target: "n2",
        epoch: 3,
        steps: [{ kind: "await-online", resourceId: "svc", nodeId: "n2" }],
        stepIndex: 0,
        stepStartedAt: NOW - 5_000,
        attempts: 0,
        sourceUnconfirmed: false,
        fenced: false,
        unconfirmedNodes: [],
        fencedInstances: [],
        startedAt: NOW - 5_000,
      },
    };
    const next = decide(
      movingToN2,
      new Map([
        ["n1", report("n1", NOW - 500)],
        ["n2", report("n2", NOW - 1_000, { svc: "starting" })],
      ]),
    );
    expect(next).toMatchObject({ owner: "n1", epoch: 4 });
    expect(steps(next)).toEqual(["await-offline svc@n2", "await-online svc@n1"]);
  });
});
