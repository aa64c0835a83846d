import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { advance } from "../../../lib/core/controller/advance.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord, type NodeReport } from "../../../lib/core/controller/records.js";

/**
 * A deploy adds resource r0 to the running group app and makes svc depend on it. The record's desired states
 * (written when the last plan completed) name only svc, so the owner is told r0 offline, and stops svc, which now
 * depends on something not wanted. The controller must bring the group to the definition on the same owner: r0
 * started, then svc again, without moving the group or raising its epoch.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const after = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
groups:
  - id: app
    preferredOwners: [n1, n2]
    resources:
      - { id: r0, type: command, start: [/opt/r/start], stop: [/opt/r/stop], check: [/opt/r/check] }
      - { id: svc, type: command, dependsOn: [r0], start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const group = after.groups[0]!;

const health = new Map<string, NodeHealth>(
  ["n1", "n2"].map((id) => [
    id,
    nodeHealth(id, {
      up: true,
      leaseOver: false,
      lastHeardAt: NOW - 1_000,
      upSince: NOW - 3_600_000,
      activeResources: id === "n1" ? ["svc"] : [],
      report: { nodeId: id, bootId: "b", seq: 9 },
    }),
  ]),
);

// As the last completed plan left it, before the deploy.
const online: GroupRecord = {
  ...emptyGroupRecord("app", NOW),
  version: 6,
  owner: "n1",
  epoch: 3,
  status: "online",
  desired: { svc: "online" },
};

describe("a deploy that adds a resource to a running group", () => {
  it("starts a plan on the same owner, under the same epoch, that brings the new resource online first", () => {
    const decision = decideGroup({ definition: after, group, record: online, health, frozen: false, now: NOW });
    expect(decision.kind).toBe("write");
    const record = (decision as { record: GroupRecord }).record;
    expect(record).toMatchObject({ owner: "n1", epoch: 3, status: "moving", plan: { target: "n1", epoch: 3 } });
    expect(record.plan!.steps.map(describeStep)).toEqual(["await-online r0", "await-online svc"]);
    // r0 is asked for at once; svc is not asked to stop.
    expect(record.desired).toEqual({ r0: "online", svc: "online" });
    expect(record.failovers).toEqual([]);

    // The owner reports both online, a heartbeat every 2 s: the group is online again, both wanted.
    let current = record;
    for (let i = 1; i <= 3; i++) {
      const at = NOW + 2_000 * i;
      const report: NodeReport = {
        nodeId: "n1",
        bootId: "b",
        seq: 10 + i,
        receivedAt: at - 10,
        bootStartedAt: NOW - 3_600_000,
        resources: { r0: "online", svc: "online" },
        leaving: false,
        epochs: { app: 3 },
      };
      const next = advance(current, { kind: "seen", seen: { liveness: report, nodeUp: true } }, at, {
        definition: after,
        group,
        health,
        frozen: false,
        actedOn: null,
      });
      current = next.record ?? current;
    }
    expect(current).toMatchObject({
      status: "online",
      owner: "n1",
      epoch: 3,
      desired: { r0: "online", svc: "online" },
    });
  });

  it("does nothing for a group whose desired states already name every agent resource online", () => {
    const current = { ...online, desired: { r0: "online" as const, svc: "online" as const } };
    const decision = decideGroup({ definition: after, group, record: current, health, frozen: false, now: NOW });
    expect(decision.kind).toBe("none");
  });

  it("starts nothing while the guard is frozen", () => {
    const decision = decideGroup({ definition: after, group, record: online, health, frozen: true, now: NOW });
    expect(decision.kind).toBe("none");
  });
});
