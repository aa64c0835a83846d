import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import { assessNodes, type NodeHealth } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { emptyGroupRecord, type GroupRecord, type PlanStep } from "../../../lib/core/controller/records.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";

/**
 * A group with no owner in the table (a group renamed by a deploy, one whose resources moved into a new group,
 * or a hand-edited item whose owner reads null) may still run on a node under its old name: that node's latest
 * report lists the group's resources as running. Placing the group must free that node before the target is
 * told to start anything, as any other move does.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const SVC = `{ id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }`;
// The deploy renamed group `app` (owned by n2, running svc) to `app2`.
const renamed = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
groups:
  - id: app2
    preferredOwners: [n1, n2]
    resources:
      - ${SVC}
`);
const group = renamed.groups[0]!;

function node(id: string, over: Partial<NodeHealth> = {}): [string, NodeHealth] {
  return [
    id,
    nodeHealth(id, {
      up: true,
      leaseOver: false,
      lastHeardAt: NOW - 1_000,
      upSince: NOW - 3_600_000,
      report: { nodeId: id, bootId: "b", seq: 9 },
      ...over,
    }),
  ];
}

const steps = (record: GroupRecord): string[] =>
  record.plan!.steps.map((s: PlanStep) => `${describeStep(s)}${"nodeId" in s && s.nodeId ? `@${s.nodeId}` : ""}`);

function place(health: Map<string, NodeHealth>, record: GroupRecord = emptyGroupRecord("app2", NOW)): GroupRecord {
  const decision = decideGroup({ definition: renamed, group, record, health, frozen: false, now: NOW });
  expect(decision.kind).toBe("write");
  return (decision as { record: GroupRecord }).record;
}

describe("placing a group nobody owns in the table", () => {
  it("awaits the stop on another node whose latest report still runs the group's resources, before telling the target", () => {
    // n2 still runs svc (as group `app`): its latest report says svc online.
    const record = place(new Map([node("n1"), node("n2", { activeResources: ["svc"] })]));
    expect(record.plan).toMatchObject({ kind: "place", source: null, target: "n1", inheritedSources: ["n2"] });
    expect(steps(record)).toEqual(["await-offline svc@n2", "await-online svc@n1"]);
    // The target is told nothing to start while n2's stop is awaited.
    expect(record.desired).toEqual({ svc: "offline" });
    const answer = answerFor(
      indexCluster(renamed),
      { nodeId: "n1", bootId: "b1", seq: 1, resources: {} },
      NOW,
      new Map([["app2", { owner: "n1", epoch: 1, desired: record.desired, status: record.status }]]),
    );
    expect(answer.groups[0]!.resources).toEqual({ svc: "offline" });
  });

  it("counts as running every reported state but offline (a failed stop may still run)", () => {
    for (const state of ["online", "starting", "stopping", "failed", "fenced"] as const) {
      const liveness = new Map([
        [
          "n2",
          {
            nodeId: "n2",
            bootId: "b",
            seq: 9,
            receivedAt: NOW - 1_000,
            bootStartedAt: NOW - 3_600_000,
            resources: { svc: state, other: "offline" as const },
            retiredBoots: [],
            leaving: false,
            epochs: {},
          },
        ],
      ]);
      const health = assessNodes(renamed, liveness, NOW);
      expect({ state, active: health.get("n2")!.activeResources }).toEqual({ state, active: ["svc"] });
      expect(health.get("n2")!.leaseOver).toBe(false);
      // never heard: nothing can run there under a lease
      expect(health.get("n1")!.leaseOver).toBe(true);
    }
  });

  it("does the same for a hand-edited item whose owner reads null", () => {
    const edited: GroupRecord = { ...emptyGroupRecord("app2", NOW), version: 7, epoch: 5, status: "offline" };
    const record = place(new Map([node("n1"), node("n2", { activeResources: ["svc"] })]), edited);
    expect(record.epoch).toBe(6);
    expect(steps(record)).toEqual(["await-offline svc@n2", "await-online svc@n1"]);
  });

  it("adds no step for a node that reports the resources offline, or whose lease is over", () => {
    const quiet = place(new Map([node("n1"), node("n2")]));
    expect(steps(quiet)).toEqual(["await-online svc@n1"]);
    // Silent for longer than lease + grace: its agent has stopped everything (self-fencing).
    const gone = place(
      new Map([node("n1"), node("n2", { up: false, leaseOver: true, upSince: null, activeResources: ["svc"] })]),
    );
    expect(steps(gone)).toEqual(["await-online svc@n1"]);
  });
});
