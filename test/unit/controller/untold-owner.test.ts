import { describe, expect, it } from "vitest";
import { advance } from "../../../lib/core/controller/advance.js";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { buildPlanSteps, describeStep } from "../../../lib/core/controller/plan-builder.js";
import {
  emptyGroupRecord,
  type GroupRecord,
  type NodeReport,
  type Plan,
} from "../../../lib/core/controller/records.js";
import { decideStep } from "../../../lib/core/controller/steps.js";
import { loadDefinitionText } from "../../../lib/core/definition/index.js";
import type { ResourceState } from "../../../lib/core/heartbeat/message.js";
import { exampleDefinition } from "../../support/example-cluster.js";

// Issue 8: an owner whose agent restarted into a boot that never gets an answer (its answers are lost) keeps
// heartbeating, so it looks up; but the new boot has been told nothing of its groups, so it runs nothing of
// them (nor reports them: neither online nor fenced). The controller must move such a group, as from a failed
// owner, and safely: the boot may still get the answer to the very report the move rests on.
//
// examples/cluster.yaml: lease 10 s, grace max(2 s, 10 s / 5) = 2 s, so a boot heard for longer than
// 10 s + 2 s = 12 000 ms without being told of a group it may own counts as never told.

const definition = exampleDefinition();
const reports = definition.groups.find((g) => g.id === "reports")!;
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const SILENCE_LIMIT = 10_000 + 2_000;

function report(
  nodeId: string,
  options: {
    bootId?: string;
    seq?: number;
    bootStartedAt?: number;
    resources?: Record<string, ResourceState>;
    epochs?: Record<string, number>;
  } = {},
): NodeReport {
  return {
    nodeId,
    bootId: options.bootId ?? "b2",
    seq: options.seq ?? 7,
    receivedAt: NOW - 500,
    bootStartedAt: options.bootStartedAt ?? NOW - 3_600_000,
    resources: options.resources ?? {},
    leaving: false,
    epochs: options.epochs ?? {},
  };
}

/** db-b up and answered (it runs nothing of reports). */
const dbB = report("db-b", {
  bootId: "x",
  resources: { "report-svc": "offline" },
  epochs: { postgres: 1, reports: 3 },
});

const reportsOnOffice: GroupRecord = {
  ...emptyGroupRecord("reports", NOW - 3_600_000),
  version: 5,
  owner: "office-1",
  epoch: 3,
  status: "online",
  statusReason: "",
  desired: { "report-svc": "online" },
};

describe("a node whose current boot has been told nothing of a group", () => {
  it("counts as never told of the groups it may own once its boot has been heard for longer than lease + grace", () => {
    // Act
    const at = (bootStartedAt: number) =>
      assessNodes(definition, new Map([["office-1", report("office-1", { bootStartedAt })]]), NOW).get("office-1");
    // Assess
    expect(at(NOW - SILENCE_LIMIT)).toMatchObject({ up: true, untoldGroups: [] });
    expect(at(NOW - SILENCE_LIMIT - 1)).toMatchObject({ up: true, untoldGroups: ["reports"] });
  });

  it("does not count a boot that names the group in its epochs, or reports one of its resources (an older agent)", () => {
    // Act
    const told = assessNodes(
      definition,
      new Map([
        ["office-1", report("office-1", { epochs: { reports: 3 } })],
        ["db-b", report("db-b", { resources: { "report-svc": "offline" } })],
      ]),
      NOW,
    );
    // Assess: db-b may own postgres and reports; it reports report-svc, and nothing of postgres.
    expect(told.get("office-1")?.untoldGroups).toEqual([]);
    expect(told.get("db-b")?.untoldGroups).toEqual(["postgres"]);
  });

  it("never counts a group with no agent resources (nothing of it runs on a node; an older agent names no group)", () => {
    // Prepare
    const loaded = loadDefinitionText(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
groups:
  - id: name-only
    preferredOwners: [n1]
    resources:
      - { id: www, type: dns-record, hostedZoneId: Z0A1B2C3D4E5F6, name: www.example.com, ttl: 10 }
  - id: app
    preferredOwners: [n1]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    // Act
    const health = assessNodes(
      loaded.definition,
      new Map([["n1", report("n1", { bootStartedAt: NOW - 60_000 })]]),
      NOW,
    );
    // Assess
    expect(health.get("n1")?.untoldGroups).toEqual(["app"]);
  });

  it("loses an online group it owns: a move resting on that exact report, awaiting a later report of the same boot", () => {
    // Prepare
    const liveness = new Map([
      ["office-1", report("office-1", { bootStartedAt: NOW - 13_000, seq: 7 })],
      ["db-b", dbB],
    ]);
    // Act
    const decision = decideGroup({
      definition,
      group: reports,
      record: reportsOnOffice,
      health: assessNodes(definition, liveness, NOW),
      frozen: false,
      now: NOW,
    });
    // Assess: held against office-1 (it looks up, and would be given the group straight back).
    expect(decision).toMatchObject({
      kind: "write",
      record: {
        owner: "db-b",
        epoch: 4,
        status: "moving",
        failedOn: { "office-1": NOW },
        plan: { kind: "failover", source: "office-1", sourceAlive: true, target: "db-b" },
      },
      basedOn: [{ nodeId: "office-1", bootId: "b2", seq: 7, latest: true }],
    });
    if (decision.kind !== "write") throw new Error("expected a write");
    expect(decision.record.plan!.steps).toEqual([
      {
        kind: "await-offline",
        resourceId: "report-svc",
        nodeId: "office-1",
        neverToldThrough: { bootId: "b2", seq: 7 },
      },
      { kind: "await-online", resourceId: "report-svc", nodeId: "db-b" },
      expect.objectContaining({ kind: "upsert-record", resourceId: "reports-dns" }),
    ]);
  });

  it("gives a fresh boot lease + grace to be answered before its group moves", () => {
    // Act
    const decision = decideGroup({
      definition,
      group: reports,
      record: reportsOnOffice,
      health: assessNodes(
        definition,
        new Map([
          ["office-1", report("office-1", { bootStartedAt: NOW - 11_000 })],
          ["db-b", dbB],
        ]),
        NOW,
      ),
      frozen: false,
      now: NOW,
    });
    // Assess
    expect(decision).toEqual({ kind: "none" });
  });

  it("fences a stop-instance owner before the volume moves (what an earlier boot left may still run)", () => {
    // Prepare: postgres online on db-a, whose new boot is told nothing.
    const record: GroupRecord = { ...reportsOnOffice, groupId: "postgres", owner: "db-a", desired: {} };
    const liveness = new Map([
      ["db-a", report("db-a", { bootStartedAt: NOW - 13_000 })],
      ["db-b", report("db-b", { bootId: "x", epochs: { postgres: 3, reports: 3 } })],
    ]);
    // Act
    const decision = decideGroup({
      definition,
      group: postgres,
      record,
      health: assessNodes(definition, liveness, NOW),
      frozen: false,
      now: NOW,
    });
    // Assess
    if (decision.kind !== "write") throw new Error("expected a write");
    expect(decision.record.plan!.steps.map(describeStep).slice(0, 5)).toEqual([
      "check-volume-zone data",
      "await-offline postgres",
      "await-offline pg-mount",
      "fence i-0a1b2c3d4e5f60001",
      "detach-volume data",
    ]);
    expect(decision.record.plan!.steps[3]).toMatchObject({ kind: "fence", onlyIfUnconfirmed: true });
  });
});

describe("await-offline of a source whose boot had been told nothing of the group through report 7", () => {
  const STEP_START = NOW;
  const plan: Plan = {
    kind: "failover",
    reason: "test",
    source: "office-1",
    sourceAlive: true,
    target: "db-b",
    epoch: 4,
    steps: [],
    stepIndex: 0,
    stepStartedAt: STEP_START,
    attempts: 0,
    sourceUnconfirmed: false,
    fenced: false,
    startedAt: STEP_START,
  };
  const step = {
    kind: "await-offline",
    resourceId: "report-svc",
    nodeId: "office-1",
    neverToldThrough: { bootId: "b2", seq: 7 },
  } as const;
  const seen = (r: NodeReport) =>
    decideStep(step, plan, reports, { liveness: { ...r, receivedAt: STEP_START + 2_000 }, nodeUp: true }, NOW + 2_500);

  it("completes on a later report of that boot still told nothing (the answer to report 7 never arrived), unconfirmed", () => {
    // Act
    const decision = seen(report("office-1", { seq: 8 }));
    // Assess: unconfirmed, so a source the group can fence is still fenced (an earlier boot may have left something).
    expect(decision).toMatchObject({ kind: "done", patch: { sourceUnconfirmed: true } });
  });

  it("waits on report 7 itself: its answer may still reach the boot and tell it to run the group", () => {
    expect(seen(report("office-1", { seq: 7 }))).toMatchObject({ kind: "wait" });
  });

  it("waits once the boot has been told of the group (the answer to report 7 arrived): only its own word or its lease then", () => {
    expect(
      seen(report("office-1", { seq: 8, epochs: { reports: 3 }, resources: { "report-svc": "online" } })),
    ).toMatchObject({ kind: "wait" });
  });

  it("waits on a report of another boot", () => {
    expect(seen(report("office-1", { bootId: "b3", seq: 1 }))).toMatchObject({ kind: "wait" });
  });
});

// Seed 872978161, schedule 4813 of the simulation: a move from db-a began on its boot 1's report (pg-mount fenced);
// then db-a's agent restarted into answers lost for good. Its boot 2 heartbeats (so db-a is up) but is never told of
// postgres, so it never confirms a stop, and the step waited out the 3-minute pending timeout before fencing. The
// step now takes the untold boot's report as the move itself would have: remembered while it is the node's latest,
// and completed, unconfirmed, on a later report of that boot still told nothing.
describe("await-offline of a source whose agent restarted into lost answers during the move", () => {
  /** A move of `group` from `source` to `target` (a live source), at its first await-offline step. */
  const moving = (group: typeof postgres, source: string, target: string): Plan => {
    const steps = buildPlanSteps(definition, group, { sourceId: source, sourceAlive: true, targetId: target });
    return {
      kind: "failover",
      reason: "test",
      source,
      sourceAlive: true,
      target,
      epoch: 4,
      steps,
      stepIndex: steps.findIndex((s) => s.kind === "await-offline"),
      stepStartedAt: NOW,
      attempts: 0,
      sourceUnconfirmed: false,
      fenced: false,
      startedAt: NOW,
    };
  };
  const fencedMove = moving(postgres, "db-a", "db-b");
  const step = fencedMove.steps[fencedMove.stepIndex]!;
  /** The step's decision on report `r`; by default its boot has been heard untold for longer than lease + grace. */
  const seen = (plan: Plan, group: typeof postgres, r: NodeReport, untoldGroups: readonly string[] = [group.id]) =>
    decideStep(
      plan.steps[plan.stepIndex]!,
      plan,
      group,
      { liveness: { ...r, receivedAt: NOW + 2_000 }, nodeUp: true, untoldGroups },
      NOW + 2_500,
    );

  it("remembers the report of a boot never told of the group, where a fence of the source follows, and does not complete on it", () => {
    expect(seen(fencedMove, postgres, report("db-a", { bootId: "b2", seq: 3 }))).toEqual({
      kind: "remember-untold",
      through: { bootId: "b2", seq: 3 },
      reason: "db-a's boot b2 has not been told of group postgres (report 3): its next report decides",
    });
  });

  it("waits while that boot has been heard for less than lease + grace: its answers may only be late, and once told it confirms its own stop, with no fence", () => {
    expect(seen(fencedMove, postgres, report("db-a", { bootId: "b2", seq: 3 }), [])).toMatchObject({ kind: "wait" });
  });

  it("waits for a boot that was told of the group (it ran it, or its answers arrive): its own word, or the timeout", () => {
    const told = report("db-a", { seq: 3, epochs: { postgres: 4 }, resources: { postgres: "stopping" } });
    expect(seen(fencedMove, postgres, told)).toMatchObject({ kind: "wait" });
  });

  it("waits on an unfenced source: what its earlier boot left (a unit, a mount) only its new boot, once told, would stop", () => {
    // office-1 is on premise: reports is not fenced, and its plan has no fence step.
    const unfenced = moving(reports, "office-1", "db-b");
    expect(unfenced.steps.some((s) => s.kind === "fence")).toBe(false);
    expect(seen(unfenced, reports, report("office-1", { bootId: "b2", seq: 3 }))).toMatchObject({ kind: "wait" });
  });

  it("writes the remembered report on the step, only while that report is the node's latest", () => {
    // Prepare
    const record: GroupRecord = {
      ...emptyGroupRecord("postgres", NOW - 3_600_000),
      version: 9,
      owner: "db-b",
      epoch: 4,
      status: "moving",
      plan: fencedMove,
    };
    const liveness = report("db-a", { bootId: "b2", seq: 3 });
    // Act
    const next = advance(
      record,
      { kind: "seen", seen: { liveness, nodeUp: true, untoldGroups: ["postgres"] } },
      NOW + 2_500,
      {
        definition,
        group: postgres,
        health: new Map(),
        frozen: false,
        actedOn: null,
      },
    );
    // Assess
    expect(next.record?.plan?.steps[fencedMove.stepIndex]).toEqual({
      ...step,
      neverToldThrough: { bootId: "b2", seq: 3 },
    });
    expect(next.record?.plan?.stepIndex).toBe(fencedMove.stepIndex);
    expect(next.basedOn).toEqual([{ nodeId: "db-a", bootId: "b2", seq: 3, latest: true }]);
  });
});
