import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { advance } from "../../../lib/core/controller/advance.js";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord, type NodeReport } from "../../../lib/core/controller/records.js";
import type { ResourceState } from "../../../lib/core/heartbeat/message.js";

/**
 * A leaving heartbeat that does not confirm a resource stopped (it reports it `failed`: a stop that failed may
 * still run; or not at all: a new boot whose predecessor crashed with the resource running) is not a stop. A
 * group that cannot be fenced must then wait out the lease that heartbeat's answer granted (lease + grace from
 * its receipt), like a silent node's, before its new owner is told to start anything.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
// On-premise nodes: the group cannot be fenced. Lease 10 s (default), grace max(2 s, 10 s / 5) = 2 s.
const def = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
groups:
  - id: app
    preferredOwners: [n2, n1]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const group = def.groups[0]!;
const LEASE = 10_000;
const GRACE = 2_000;
const LEAVING_AT = NOW - 100; // n2's leaving heartbeat was received 100 ms before the pass

function liveness(resources: Record<string, ResourceState>): ReadonlyMap<string, NodeReport> {
  const at = (id: string, over: Partial<NodeReport>): NodeReport => ({
    nodeId: id,
    bootId: `${id}-boot`,
    seq: 9,
    receivedAt: NOW - 500,
    bootStartedAt: NOW - 3_600_000,
    resources: {},
    leaving: false,
    epochs: { app: 3 },
    leaseMs: LEASE,
    ...over,
  });
  return new Map([
    ["n1", at("n1", {})],
    ["n2", at("n2", { receivedAt: LEAVING_AT, resources, leaving: true, leaseUntil: LEAVING_AT + LEASE })],
  ]);
}

const owned: GroupRecord = {
  ...emptyGroupRecord("app", NOW),
  version: 4,
  owner: "n2",
  epoch: 3,
  status: "online",
  desired: { svc: "online" },
};

/** The move's record after n2's leaving heartbeat, then the await-offline step of svc on n2 judged at `at`. */
function moveThenStepAt(resources: Record<string, ResourceState>, at: number) {
  const reports = liveness(resources);
  const decision = decideGroup({
    definition: def,
    group,
    record: owned,
    health: assessNodes(def, reports, NOW),
    frozen: false,
    now: NOW,
  });
  const moving = (decision as { record: GroupRecord }).record;
  expect(moving.plan!.steps.map((s) => `${describeStep(s)}@${"nodeId" in s ? s.nodeId : ""}`)).toEqual([
    "await-offline svc@n2",
    "await-online svc@n1",
  ]);
  // A later pass, n1 still heartbeating: its report is refreshed, n2 sends nothing more.
  const later = new Map([...reports, ["n1", { ...reports.get("n1")!, receivedAt: at - 500 }]]);
  const health = assessNodes(def, later, at);
  const n2 = health.get("n2")!;
  return advance(
    moving,
    { kind: "seen", seen: { liveness: later.get("n2"), nodeUp: n2.up, leaseOver: n2.leaseOver } },
    at,
    { definition: def, group, health, frozen: false, actedOn: null },
  );
}

describe("a leaving heartbeat that does not confirm the stop (group that cannot be fenced)", () => {
  for (const [what, resources] of [
    ["reports svc failed", { svc: "failed" }],
    ["does not report svc (a new boot; the one before crashed with svc running)", {}],
  ] as const) {
    it(`${what}: the new owner is told nothing before the leaving heartbeat's lease + grace are over`, () => {
      const heldUntil = LEAVING_AT + LEASE + GRACE; // NOW + 11 900
      for (const at of [NOW + 10, NOW + 5_000, heldUntil]) {
        const step = moveThenStepAt(resources, at);
        expect({ at: at - NOW, record: step.record }).toEqual({ at: at - NOW, record: null }); // waits
      }
      const after = moveThenStepAt(resources, heldUntil + 1);
      expect(after.record!.plan!.stepIndex).toBe(1); // await-online svc@n1
      expect(after.record!.desired).toEqual({ svc: "online" });
      expect(after.basedOn).toEqual([]); // rests on AWS-side time, not on a report
    });
  }

  it("a leaving heartbeat that confirms svc offline moves at once (unchanged)", () => {
    const step = moveThenStepAt({ svc: "offline" }, NOW + 10);
    expect(step.record!.plan!.stepIndex).toBe(1);
  });
});
