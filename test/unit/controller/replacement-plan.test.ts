import type { ClusterDefinition } from "../../../lib/core/definition/types.js";
import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { describeStep } from "../../../lib/core/controller/plan-builder.js";
import { completeStep, failPlan } from "../../../lib/core/controller/plan-progress.js";
import { emptyGroupRecord, type GroupRecord, type PlanStep } from "../../../lib/core/controller/records.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";

/**
 * Issue 8, item 1.1: a plan whose target falls silent is replaced by one that must still free every source
 * the first had not freed (await its stop if it is up, fence it where the group can fence, detach from it).
 */

const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function health(definition: ClusterDefinition, up: string[]): Map<string, NodeHealth> {
  return new Map(
    definition.nodes.map((n) => [
      n.id,
      nodeHealth(n.id, {
        up: up.includes(n.id),
        lastHeardAt: NOW - (up.includes(n.id) ? 1_000 : 15_000),
        upSince: up.includes(n.id) ? NOW - 3_600_000 : null,
        leaseOver: !up.includes(n.id), // silent past lease + grace
      }),
    ]),
  );
}

const steps = (record: GroupRecord): string[] =>
  record.plan!.steps.map((s: PlanStep) => `${describeStep(s)}${"nodeId" in s && s.nodeId ? `@${s.nodeId}` : ""}`);

/** The pass's decision for the record's group, with the nodes in `up` up and the others silent past their lease. */
function decide(definition: ClusterDefinition, record: GroupRecord, up: string[], now: number): GroupRecord {
  const group = definition.groups.find((g) => g.id === record.groupId)!;
  return write(decideGroup({ definition, group, record, health: health(definition, up), frozen: false, now }));
}

function write(decision: ReturnType<typeof decideGroup>): GroupRecord {
  if (decision.kind !== "write") throw new Error(`expected a write, got ${decision.kind}`);
  return decision.record;
}

describe("a plan whose target falls silent (on-premise nodes n1, n2, n3)", () => {
  const definition = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
  - { id: n3, kind: onprem, principal: "arn:aws:iam::123456789012:role/n3", address: 203.0.113.3 }
groups:
  - id: app
    preferredOwners: [n1, n2, n3]
    failback: { mode: immediate }
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
  const owned: GroupRecord = {
    ...emptyGroupRecord("app", NOW),
    version: 7,
    owner: "n3",
    epoch: 5,
    status: "online",
    statusReason: "",
    desired: { svc: "online" },
  };

  it("is replaced by a plan that still waits for n3 to confirm svc offline before n2 is told to start it", () => {
    // Prepare: failback n3 -> n1 (epoch 6), waiting for n3 to stop svc; n1 falls silent 13 s in.
    const failback = decide(definition, owned, ["n1", "n2", "n3"], NOW);
    expect(steps(failback)).toEqual(["await-offline svc@n3", "await-online svc@n1"]);
    const later = NOW + 13_000;
    // Act
    const replaced = decide(definition, failback, ["n2", "n3"], later);
    // Assess
    expect(replaced).toMatchObject({ owner: "n2", epoch: 7, desired: { svc: "offline" } });
    expect(replaced.plan).toMatchObject({ kind: "failover", source: "n1", target: "n2", inheritedSources: ["n3"] });
    expect(steps(replaced)).toEqual(["await-offline svc@n3", "await-online svc@n2"]);
    const answer = answerFor(
      indexCluster(definition),
      { nodeId: "n2", bootId: "b", seq: 1, resources: {} },
      later,
      new Map([["app", { owner: "n2", epoch: 7, desired: replaced.desired, status: replaced.status }]]),
    );
    expect(answer.groups[0]!.resources).toEqual({ svc: "offline" });
  });

  it("does not inherit a source that had already confirmed its stop", () => {
    // Prepare: n3 confirmed svc offline; the plan is at await-online@n1 when n1 falls silent.
    const failback = decide(definition, owned, ["n1", "n2", "n3"], NOW);
    const confirmed = completeStep(failback, undefined, NOW + 4_000);
    // Act
    const replaced = decide(definition, confirmed, ["n2", "n3"], NOW + 30_000);
    // Assess
    expect(steps(replaced)).toEqual(["await-online svc@n2"]);
    expect(replaced.plan?.inheritedSources).toBeUndefined();
  });

  it("inherits a source that fell silent without confirming: awaited (its silence completes the step at once)", () => {
    // Prepare: failback under way, then both n1 and n3 fall silent.
    const failback = decide(definition, owned, ["n1", "n2", "n3"], NOW);
    // Act
    const replaced = decide(definition, failback, ["n2"], NOW + 30_000);
    // Assess
    expect(steps(replaced)).toEqual(["await-offline svc@n3", "await-online svc@n2"]);
  });
});

describe("a plan whose target falls silent while it fences a silent source (EC2 nodes e1, e2, e3)", () => {
  const definition = load(`
cluster: db
region: us-east-1
nodes:
  - { id: e1, kind: ec2, instanceId: i-00000000000000001, availabilityZone: us-east-1a, principal: "arn:aws:iam::123456789012:role/baton-node" }
  - { id: e2, kind: ec2, instanceId: i-00000000000000002, availabilityZone: us-east-1a, principal: "arn:aws:iam::123456789012:role/baton-node" }
  - { id: e3, kind: ec2, instanceId: i-00000000000000003, availabilityZone: us-east-1a, principal: "arn:aws:iam::123456789012:role/baton-node" }
groups:
  - id: pg
    preferredOwners: [e1, e2, e3]
    failover: { threshold: 3, period: 6h }
    resources:
      - { id: data, type: ebs-volume, volumeId: vol-00000000000000001, device: /dev/xvdf }
      - { id: mnt, type: mount, volume: data, path: /data, dependsOn: [data] }
`);
  const group = definition.groups[0]!;
  const owned: GroupRecord = {
    ...emptyGroupRecord("pg", NOW),
    version: 3,
    owner: "e1",
    epoch: 1,
    status: "online",
    statusReason: "",
    desired: { mnt: "online" },
  };

  it("still fences e1 and detaches the volume from it before attaching it to e3", () => {
    // Prepare: e1 silent -> plan to e2 (epoch 2): zone check done, fence of e1 under way.
    const first = decide(definition, owned, ["e2", "e3"], NOW);
    expect(steps(first)).toEqual([
      "check-volume-zone data",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
      "attach-volume data",
      "await-online mnt@e2",
    ]);
    const fencing = completeStep(first, undefined, NOW + 1_000);
    // Act: e2 falls silent too.
    const replaced = decide(definition, fencing, ["e3"], NOW + 30_000);
    // Assess
    expect(replaced).toMatchObject({ owner: "e3", epoch: 3, failovers: [NOW, NOW + 30_000] });
    expect(replaced.plan).toMatchObject({ source: "e2", inheritedSources: ["e1"], fenced: false, fencedInstances: [] });
    expect(steps(replaced)).toEqual([
      "check-volume-zone data",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
      "fence i-00000000000000002@e2",
      "detach-volume data@e2",
      "attach-volume data",
      "await-online mnt@e3",
    ]);
    expect(replaced.plan!.steps[1]).toEqual({
      kind: "fence",
      instanceId: "i-00000000000000001",
      onlyIfUnconfirmed: false,
      nodeId: "e1",
    });
  });

  it("awaits a leaving source's own confirmation rather than stopping its instance (a reboot stays a reboot)", () => {
    // Prepare: e1 is leaving (planned reboot) -> plan to e2 awaiting e1's stops; e2 falls silent at once.
    const leaving = (up: string[]): Map<string, NodeHealth> => {
      const h = health(definition, up);
      h.set("e1", { ...h.get("e1")!, leaving: true, report: { nodeId: "e1", bootId: "b1", seq: 9 } });
      return h;
    };
    const first = write(
      decideGroup({ definition, group, record: owned, health: leaving(["e2", "e3"]), frozen: false, now: NOW }),
    );
    expect(steps(first).slice(1, 3)).toEqual(["await-offline mnt@e1", "fence i-00000000000000001@e1"]);
    // Act
    const replaced = write(
      decideGroup({ definition, group, record: first, health: leaving(["e3"]), frozen: false, now: NOW + 30_000 }),
    );
    // Assess
    expect(steps(replaced).slice(0, 4)).toEqual([
      "check-volume-zone data",
      "await-offline mnt@e1",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
    ]);
    expect(replaced.plan!.steps[2]).toMatchObject({ kind: "fence", onlyIfUnconfirmed: true });
  });

  it("awaits a leaving target's own confirmation rather than stopping its instance, resting on its leaving report", () => {
    // Prepare: e1 silent -> plan to e2 (epoch 2), zone checked, fence of e1 under way; then
    // `systemctl restart baton-agent` on e2: its old boot stops everything and sends its leaving heartbeat.
    // (Simulation, seed 146955962 schedule 2616: the replacement fenced e2, the only node left for another group.)
    const first = completeStep(decide(definition, owned, ["e2", "e3"], NOW), undefined, NOW + 1_000);
    const e2Leaving = health(definition, ["e3"]);
    const leavingReport = { nodeId: "e2", bootId: "b2", seq: 5 };
    e2Leaving.set("e2", { ...e2Leaving.get("e2")!, leaving: true, report: leavingReport });
    // Act
    const decision = decideGroup({
      definition,
      group,
      record: first,
      health: e2Leaving,
      frozen: false,
      now: NOW + 5_000,
    });
    // Assess: e1 (silent) is still fenced; e2 is asked to confirm, and fenced only if it does not.
    const replaced = write(decision);
    expect(replaced).toMatchObject({ owner: "e3", epoch: 3 });
    expect(replaced.plan).toMatchObject({ source: "e2", sourceAlive: true, inheritedSources: ["e1"] });
    expect(steps(replaced)).toEqual([
      "check-volume-zone data",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
      "await-offline mnt@e2",
      "fence i-00000000000000002@e2",
      "detach-volume data@e2",
      "attach-volume data",
      "await-online mnt@e3",
    ]);
    expect(replaced.plan!.steps[1]).toMatchObject({ kind: "fence", onlyIfUnconfirmed: false });
    expect(replaced.plan!.steps[4]).toMatchObject({ kind: "fence", onlyIfUnconfirmed: true });
    // A planned restart is not held against e2 (it may take the group back), and the move rests on the
    // leaving report: if e2's new boot has reported since the pass read it, the write fails.
    expect(replaced.failedOn).toEqual({});
    expect(decision.kind === "write" && decision.basedOn).toEqual([leavingReport]);
  });

  it("keeps a source not yet fenced when its plan fails, so the reset of the failed group fences it", () => {
    // Prepare: e1 silent -> plan to e2; the fence of e1 fails (an instance stuck stopping).
    const first = decide(definition, owned, ["e2", "e3"], NOW);
    const failed = failPlan(completeStep(first, undefined, NOW + 1_000), "fence: still stopping", NOW + 600_000);
    expect(failed).toMatchObject({ status: "failed", owner: "e2", plan: null, unconfirmedSources: ["e1"] });
    // Act: docs/operations.md "Restarting a failed group": status offline, failovers cleared, plan removed.
    const reset: GroupRecord = { ...failed, version: failed.version + 1, status: "offline", failovers: [], plan: null };
    const restarted = decide(definition, reset, ["e2", "e3"], NOW + 700_000);
    // Assess
    expect(restarted.plan).toMatchObject({ kind: "place", source: null, target: "e2", inheritedSources: ["e1"] });
    expect(restarted.unconfirmedSources).toBeUndefined();
    expect(steps(restarted)).toEqual([
      "check-volume-zone data",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
      "attach-volume data",
      "await-online mnt@e2",
    ]);
  });
  it("reads a plan stored before plans had several sources (no nodeId, no per-node lists) and still inherits its source", () => {
    // Prepare: the record an older controller wrote: fencing e1 for a move to e2.
    const legacy: GroupRecord = {
      ...owned,
      version: 5,
      owner: "e2",
      epoch: 2,
      status: "moving",
      desired: { mnt: "offline" },
      plan: {
        kind: "failover",
        reason: "node e1 is silent",
        source: "e1",
        sourceAlive: false,
        target: "e2",
        epoch: 2,
        steps: [
          {
            kind: "check-volume-zone",
            resourceId: "data",
            volumeId: "vol-00000000000000001",
            instanceId: "i-00000000000000002",
          },
          { kind: "fence", instanceId: "i-00000000000000001", onlyIfUnconfirmed: false },
          {
            kind: "detach-volume",
            resourceId: "data",
            volumeId: "vol-00000000000000001",
            instanceId: "i-00000000000000001",
          },
          {
            kind: "attach-volume",
            resourceId: "data",
            volumeId: "vol-00000000000000001",
            instanceId: "i-00000000000000002",
            device: "/dev/xvdf",
          },
          { kind: "await-online", resourceId: "mnt", nodeId: "e2" },
        ],
        stepIndex: 1,
        stepStartedAt: NOW,
        attempts: 1,
        sourceUnconfirmed: false,
        fenced: false,
        startedAt: NOW,
      },
    };
    // Act
    const replaced = decide(definition, legacy, ["e3"], NOW + 30_000);
    const fenced = completeStep(legacy, { fenced: true }, NOW + 5_000);
    // Assess
    expect(steps(replaced)).toEqual([
      "check-volume-zone data",
      "fence i-00000000000000001@e1",
      "detach-volume data@e1",
      "fence i-00000000000000002@e2",
      "detach-volume data@e2",
      "attach-volume data",
      "await-online mnt@e3",
    ]);
    expect(fenced.plan).toMatchObject({ stepIndex: 2, fenced: true, fencedInstances: ["i-00000000000000001"] });
  });
});
