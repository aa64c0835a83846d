import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord } from "../../../lib/core/controller/records.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";
import { admitHeartbeat } from "../../../lib/core/heartbeat/admit.js";

/**
 * A deploy takes the owner n3 out of the group's preferredOwners. The group must move to a preferred owner, and
 * n3 must still be answered about the group (told to stop it, under the move's epoch) and have its reports of the
 * group's resources recorded, so that it confirms the stop. Before, the group stayed `online` on n3 for good
 * (failback found no rank for it) while n3's answers no longer listed it: nobody ran it.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const def = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
  - { id: n3, kind: onprem, principal: "arn:aws:iam::123456789012:role/n3", address: 203.0.113.3 }
groups:
  - id: app
    preferredOwners: [n1, n2]
    failback: { mode: immediate }
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const group = def.groups[0]!;
const index = indexCluster(def);
const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";

const health = new Map<string, NodeHealth>(
  ["n1", "n2", "n3"].map((id) => [
    id,
    nodeHealth(id, {
      up: true,
      leaseOver: false,
      lastHeardAt: NOW - 1_000,
      upSince: NOW - 3_600_000,
      report: { nodeId: id, bootId: "b", seq: 9 },
    }),
  ]),
);
const ownedByN3: GroupRecord = {
  ...emptyGroupRecord("app", NOW),
  version: 4,
  owner: "n3",
  epoch: 3,
  status: "online",
  desired: { svc: "online" },
};

describe("an owner that a deploy took out of the group's preferredOwners", () => {
  it("is a reason to move the group to a preferred owner, awaiting the owner's own stop; no failover counted", () => {
    const decision = decideGroup({ definition: def, group, record: ownedByN3, health, frozen: false, now: NOW });
    expect(decision.kind).toBe("write");
    const record = (decision as { record: GroupRecord }).record;
    expect(record).toMatchObject({
      owner: "n1",
      epoch: 4,
      status: "moving",
      failovers: [],
      plan: { source: "n3", sourceAlive: true },
    });
    expect(record.plan!.steps.map((s) => `${describeStep(s)}@${"nodeId" in s ? s.nodeId : ""}`)).toEqual([
      "await-offline svc@n3",
      "await-online svc@n1",
    ]);
  });

  it("is still answered about a group it names in its epochs, always told to stop it", () => {
    // n3 is still the recorded owner with svc desired online: it must not be told to run it.
    for (const [owner, epoch, desired] of [
      ["n3", 3, { svc: "online" as const }],
      ["n1", 4, { svc: "offline" as const }],
    ] as const) {
      const answer = answerFor(
        index,
        { nodeId: "n3", bootId: BOOT, seq: 5, resources: { svc: "online" }, epochs: { app: 3 } },
        NOW,
        new Map([["app", { owner, epoch, desired, status: "online" }]]),
      );
      expect(answer.groups.map((g) => ({ id: g.id, owner: g.owner, epoch: g.epoch, resources: g.resources }))).toEqual([
        { id: "app", owner, epoch, resources: { svc: "offline" } },
      ]);
    }
    // A node that names no such group is not answered about it.
    const other = answerFor(index, { nodeId: "n3", bootId: BOOT, seq: 6, resources: {} }, NOW, new Map());
    expect(other.groups).toEqual([]);
  });

  it("has its reports of that group's resources recorded, so that its stop can be confirmed", () => {
    const body = JSON.stringify({
      nodeId: "n3",
      bootId: BOOT,
      seq: 7,
      resources: { svc: "offline" },
      epochs: { app: 4 },
    });
    const admitted = admitHeartbeat(
      index,
      { body, isBase64Encoded: false, callerArn: "arn:aws:sts::123456789012:assumed-role/n3/s" },
      "123456789012",
    );
    expect(admitted.heartbeat.resources).toEqual({ svc: "offline" });
    expect(admitted.ignoredResources).toEqual([]);
  });
});
