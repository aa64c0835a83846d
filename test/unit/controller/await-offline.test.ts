import { describe, expect, it } from "vitest";
import type { NodeReport, Plan } from "../../../lib/core/controller/records.js";
import { decideStep } from "../../../lib/core/controller/steps.js";
import type { ResourceState } from "../../../lib/core/heartbeat/message.js";
import { exampleDefinition } from "../../support/example-cluster.js";

// The await-offline step: when does a live source's report confirm that it stopped a resource?
// reports: fencing none, report-svc's pendingTimeout the default 3 min. postgres: fencing stop-instance,
// postgres's pendingTimeout 3 min (examples/cluster.yaml).

const definition = exampleDefinition();
const reports = definition.groups.find((g) => g.id === "reports")!;
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const STEP_START = Date.UTC(2026, 10, 22, 12, 0, 0);
const PENDING_TIMEOUT = 180_000;
/** The move runs under epoch 6: the source learns of it from an answer with epoch 6. */
const PLAN_EPOCH = 6;

function plan(groupId: string, source: string): Plan {
  return {
    kind: "failover",
    reason: "test",
    source,
    sourceAlive: true,
    target: "db-b",
    epoch: PLAN_EPOCH,
    steps: [],
    stepIndex: 0,
    stepStartedAt: STEP_START,
    attempts: 0,
    sourceUnconfirmed: false,
    fenced: false,
    startedAt: STEP_START,
  };
}

function report(
  nodeId: string,
  resources: Record<string, ResourceState>,
  epochs: Record<string, number> | undefined,
  receivedAt = STEP_START + 2_000,
): NodeReport {
  return {
    nodeId,
    bootId: "b1",
    seq: 10,
    receivedAt,
    bootStartedAt: STEP_START - 3_600_000,
    resources,
    leaving: false,
    epochs: epochs ?? {},
  };
}

/** The await-offline step of report-svc on office-1 (reports group), seen at `now`. */
function reportsStep(liveness: NodeReport, now = STEP_START + 2_500) {
  return decideStep(
    { kind: "await-offline", resourceId: "report-svc", nodeId: "office-1" },
    plan("reports", "office-1"),
    reports,
    { liveness, nodeUp: true },
    now,
  );
}

function postgresStep(liveness: NodeReport, now = STEP_START + 2_500) {
  return decideStep(
    { kind: "await-offline", resourceId: "postgres", nodeId: "db-a" },
    plan("postgres", "db-a"),
    postgres,
    { liveness, nodeUp: true },
    now,
  );
}

describe("await-offline: an offline report confirms the stop only under the move's epoch (issue 8, 1.4)", () => {
  it("does not take an offline made under an older epoch (before the agent learned of the move) as confirmation", () => {
    // Act: received after the step started, but the agent still acted under epoch 5.
    const decision = reportsStep(report("office-1", { "report-svc": "offline" }, { reports: 5 }));
    // Assess
    expect(decision.kind).toBe("wait");
  });

  it("takes an offline made under the move's epoch, or a later one, as confirmation", () => {
    // Act
    const atEpoch = reportsStep(report("office-1", { "report-svc": "offline" }, { reports: 6 }));
    const later = reportsStep(report("office-1", { "report-svc": "offline" }, { reports: 7 }));
    // Assess
    expect(atEpoch).toMatchObject({ kind: "done" });
    expect(atEpoch).not.toHaveProperty("patch");
    expect(later).toMatchObject({ kind: "done" });
  });

  it("never confirms with an offline that names no epoch for the group (an older agent)", () => {
    // Act
    const none = reportsStep(report("office-1", { "report-svc": "offline" }, undefined));
    const otherGroup = reportsStep(report("office-1", { "report-svc": "offline" }, { postgres: 9 }));
    // Assess
    expect(none.kind).toBe("wait");
    expect(otherGroup.kind).toBe("wait");
  });

  it("falls back to fencing (stop-instance) or failing (none) once the pending timeout (3 min) is out", () => {
    // Prepare
    const stale = { postgres: 5, reports: 5 };
    const after = STEP_START + PENDING_TIMEOUT + 1;
    // Act
    const fenced = postgresStep(report("db-a", { postgres: "offline" }, stale, after - 500), after);
    const failed = reportsStep(report("office-1", { "report-svc": "offline" }, stale, after - 500), after);
    // Assess
    expect(fenced).toMatchObject({ kind: "done", patch: { sourceUnconfirmed: true } });
    expect(failed.kind).toBe("fail");
  });

  it("still requires the report to be received after the step started", () => {
    // Act
    const decision = reportsStep(report("office-1", { "report-svc": "offline" }, { reports: 6 }, STEP_START));
    // Assess
    expect(decision.kind).toBe("wait");
  });
});

describe("await-offline: a fenced report is a confirmed stop (issue 8, 1.5)", () => {
  it("takes fenced (stopped and verified by self-fencing) as confirmation, whatever epoch the agent acts under", () => {
    // Act
    const older = reportsStep(report("office-1", { "report-svc": "fenced" }, { reports: 5 }));
    const none = reportsStep(report("office-1", { "report-svc": "fenced" }, undefined));
    // Assess
    expect(older).toMatchObject({ kind: "done" });
    expect(older).not.toHaveProperty("patch");
    expect(none).toMatchObject({ kind: "done" });
  });

  it("does not take a fenced report received before the step started", () => {
    // Act
    const decision = reportsStep(report("office-1", { "report-svc": "fenced" }, { reports: 5 }, STEP_START - 1));
    // Assess
    expect(decision.kind).toBe("wait");
  });

  it("never takes failed as confirmation: a stop that failed may leave the resource running", () => {
    // Act
    const early = reportsStep(report("office-1", { "report-svc": "failed" }, { reports: 6 }));
    const late = reportsStep(
      report("office-1", { "report-svc": "failed" }, { reports: 6 }, STEP_START + PENDING_TIMEOUT),
      STEP_START + PENDING_TIMEOUT + 1,
    );
    // Assess
    expect(early.kind).toBe("wait");
    expect(late.kind).toBe("fail");
  });

  it("moves a fencing:none group off a one-way partitioned source at once, not after its pending timeout", () => {
    // Prepare: the probe's scenario (answers lost, heartbeats arriving). office-1's agent lost its lease,
    // stopped report-svc and verified it, and keeps reporting; the move to db-b started at 0 s under epoch 6,
    // which office-1 never learned (it still acts under epoch 2).
    const selfFenced = (at: number) => report("office-1", { "report-svc": "fenced" }, { reports: 2 }, at);
    // Act: its first heartbeat after the step started, and one just before the 180 s timeout.
    const first = reportsStep(selfFenced(STEP_START + 2_000), STEP_START + 2_001);
    const beforeTimeout = reportsStep(selfFenced(STEP_START + 170_000), STEP_START + 170_000);
    // Assess
    expect(first).toMatchObject({ kind: "done" });
    expect(beforeTimeout).toMatchObject({ kind: "done" });
  });

  it("takes a leaving heartbeat's fenced resource as stopped, like offline", () => {
    // Act
    const decision = reportsStep({
      ...report("office-1", { "report-svc": "fenced" }, undefined, STEP_START - 10_000),
      leaving: true,
    });
    // Assess
    expect(decision).toMatchObject({ kind: "done" });
  });
});
