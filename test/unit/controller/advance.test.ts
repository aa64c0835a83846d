import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { advance, type PlanContext, stepToObserve } from "../../../lib/core/controller/advance.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { emptyGroupRecord, type GroupRecord, type Plan, type PlanStep } from "../../../lib/core/controller/records.js";
import { transition, TransitionError } from "../../../lib/core/controller/status.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { movingPostgres } from "../../support/moving-postgres.js";

const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const A = "i-0a1b2c3d4e5f60001";

function health(up: string[]): Map<string, NodeHealth> {
  return new Map(
    definition.nodes.map((n) => [
      n.id,
      nodeHealth(n.id, {
        up: up.includes(n.id),
        lastHeardAt: T0,
        upSince: up.includes(n.id) ? T0 - 3_600_000 : null,
        leaseOver: !up.includes(n.id), // silent past lease + grace
      }),
    ]),
  );
}

const context = (over: Partial<PlanContext> = {}): PlanContext => ({
  definition,
  group: postgres,
  health: health(["db-a", "db-b", "office-1"]),
  frozen: false,
  actedOn: null,
  ...over,
});

function moving(steps: PlanStep[], over: Partial<Plan> = {}, record: Partial<GroupRecord> = {}): GroupRecord {
  return movingPostgres(T0, steps, over, record);
}

const fence: PlanStep = { kind: "fence", instanceId: A, onlyIfUnconfirmed: false, nodeId: "db-a" };
const awaitOffline: PlanStep = { kind: "await-offline", resourceId: "postgres", nodeId: "db-a" };
const awaitOnline: PlanStep = { kind: "await-online", resourceId: "postgres", nodeId: "db-b" };

describe("advance", () => {
  it("fails a plan of another epoch without observing anything", () => {
    // Prepare
    const record = moving([fence], { epoch: 1 });
    // Act
    const out = advance(record, { kind: "none" }, T0 + 1_000, context());
    // Assess
    expect(stepToObserve(record)).toBeUndefined();
    expect(out.command).toBeUndefined();
    expect(out.record).toMatchObject({ version: 11, status: "failed", plan: null, since: T0 + 1_000 });
    expect(out.events).toEqual([
      { type: "failover-failed", groupId: "postgres", epoch: 2, reason: "found a plan of epoch 1 under epoch 2" },
    ]);
    expect(out.again).toBe(false);
  });

  it("completes a plan past its last step: online, every agent resource desired online", () => {
    // Act
    const out = advance(moving([fence], { stepIndex: 1 }), { kind: "none" }, T0 + 5_000, context());
    // Assess
    expect(out.record).toMatchObject({
      version: 11,
      status: "online",
      plan: null,
      desired: { "pg-mount": "online", postgres: "online" },
      statusReason: "online on db-b (failover: node db-a is silent)",
    });
    expect(out.events).toEqual([
      {
        type: "failover-completed",
        groupId: "postgres",
        epoch: 2,
        kind: "failover",
        target: "db-b",
        durationMs: 15_000,
      },
    ]);
  });

  it("asks for a command, once per step per pass, and records the action with its outcome", () => {
    // Prepare
    const record = moving([fence]);
    const seen = {
      kind: "seen" as const,
      seen: {
        instance: {
          instanceId: A,
          state: "running" as const,
          availabilityZone: "us-east-1a",
          privateIp: null,
          publicIp: null,
        },
      },
    };
    // Act
    const first = advance(record, seen, T0 + 1_000, context());
    const repeated = advance(record, seen, T0 + 1_000, context({ actedOn: 0 }));
    const acted = advance(record, { kind: "acted", reason: `stopping ${A} (force)` }, T0 + 1_000, context());
    // Assess
    expect(first).toEqual({
      record: null,
      command: { command: { kind: "stop-instance", instanceId: A }, reason: `stopping ${A} (force)` },
      basedOn: [],
      events: [],
      again: false,
    });
    expect(repeated).toEqual({ record: null, basedOn: [], events: [], again: false });
    expect(acted.record).toMatchObject({ version: 11, plan: { attempts: 1, stepIndex: 0 } });
    expect(acted.events).toEqual([
      {
        type: "step",
        groupId: "postgres",
        epoch: 2,
        step: `fence ${A}`,
        outcome: `stopping ${A} (force)`,
        durationMs: 1_000,
      },
    ]);
    expect(acted.again).toBe(true);
  });

  it("waits on an AWS failure, and fails the plan only on a code no retry can fix", () => {
    // Prepare
    const record = moving([fence]);
    // Act
    const transient = advance(record, { kind: "aws-error", fatal: false, message: "throttled" }, T0, context());
    const fatal = advance(record, { kind: "aws-error", fatal: true, message: "zone mismatch" }, T0, context());
    // Assess
    expect(transient).toEqual({ record: null, basedOn: [], events: [], again: false });
    expect(fatal.record).toMatchObject({ status: "failed", statusReason: `fence ${A}: zone mismatch` });
  });

  it("conditions the write of an await-offline confirmed by a report on that report, not one completed by silence", () => {
    // Prepare
    const record = moving([awaitOffline, awaitOnline]);
    const liveness = {
      nodeId: "db-a",
      bootId: "boot-1",
      seq: 7,
      receivedAt: T0 + 1_000,
      bootStartedAt: T0 - 3_600_000,
      resources: { postgres: "offline" as const },
      leaving: false,
      epochs: { postgres: 2 },
    };
    // Act
    const confirmed = advance(record, { kind: "seen", seen: { liveness, nodeUp: true } }, T0 + 2_000, context());
    const silent = advance(
      record,
      { kind: "seen", seen: { liveness, nodeUp: false, leaseOver: true } },
      T0 + 2_000,
      context(),
    );
    // Assess
    expect(confirmed.basedOn).toEqual([{ nodeId: "db-a", bootId: "boot-1", seq: 7 }]);
    expect(confirmed.record).toMatchObject({ plan: { stepIndex: 1 }, desired: { postgres: "online" } });
    expect(silent.basedOn).toEqual([]);
    expect(silent.record).toMatchObject({
      plan: { stepIndex: 1, sourceUnconfirmed: true, unconfirmedNodes: ["db-a"] },
    });
  });

  it("moves the group on when a resource fails on the new owner (restart, then fail over), unless frozen", () => {
    // Prepare: db-b reports postgres failed; db-a is up again.
    const record = moving([awaitOnline]);
    const liveness = {
      nodeId: "db-b",
      bootId: "b",
      seq: 1,
      receivedAt: T0 + 1_000,
      bootStartedAt: T0,
      resources: { postgres: "failed" as const },
      leaving: false,
      epochs: {},
    };
    const seen = { kind: "seen" as const, seen: { liveness, nodeUp: true } };
    // Act
    const moved = advance(record, seen, T0 + 2_000, context());
    const frozen = advance(record, seen, T0 + 2_000, context({ frozen: true }));
    // Assess
    expect(moved.record).toMatchObject({
      version: 11,
      owner: "db-a",
      epoch: 3,
      status: "moving",
      failovers: [T0 + 2_000],
      failedOn: { "db-b": T0 + 2_000 },
      plan: { kind: "failover", source: "db-b", sourceAlive: true, target: "db-a", epoch: 3 },
    });
    expect(moved.events.map((e) => e.type)).toEqual(["step", "failover-started"]);
    // Frozen: the group neither moves nor is left failed; the step waits for the thaw (it fails over then).
    expect(frozen).toEqual({ record: null, basedOn: [], events: [], again: false });
  });

  it("keeps waiting, not failing, on a start that times out while the guard is frozen; fails over after the thaw", () => {
    // Prepare: postgres's pendingTimeout is 3 min (examples/cluster.yaml); db-b still reports it starting.
    const record = moving([awaitOnline]);
    const at = T0 + 180_001;
    const liveness = {
      nodeId: "db-b",
      bootId: "b",
      seq: 1,
      receivedAt: at - 500,
      bootStartedAt: T0,
      resources: { postgres: "starting" as const },
      leaving: false,
      epochs: { postgres: 2 },
    };
    const seen = { kind: "seen" as const, seen: { liveness, nodeUp: true } };
    // Act
    const frozen = advance(record, seen, at, context({ frozen: true }));
    const thawed = advance(record, seen, at + 60_000, context());
    // Assess
    expect(frozen).toEqual({ record: null, basedOn: [], events: [], again: false });
    expect(thawed.record).toMatchObject({ owner: "db-a", epoch: 3, status: "moving", plan: { target: "db-a" } });
  });

  it("continues a plan an older controller left under status offline, as moving", () => {
    // Prepare: the old wait() kept the plan when it set the group offline; its target is up again.
    const record = moving([fence, awaitOnline], {}, { status: "offline" });
    const seen = {
      kind: "seen" as const,
      seen: {
        instance: {
          instanceId: A,
          state: "stopped" as const,
          availabilityZone: "us-east-1a",
          privateIp: null,
          publicIp: null,
        },
      },
    };
    // Act
    const out = advance(record, seen, T0 + 1_000, context());
    // Assess
    expect(out.record).toMatchObject({ version: 11, status: "moving", since: T0 + 1_000, plan: { stepIndex: 1 } });
  });

  it("leaves a failed group alone, even with a plan an older controller left in it", () => {
    // Act
    const out = advance(moving([fence], {}, { status: "failed" }), { kind: "none" }, T0, context());
    // Assess
    expect(out).toEqual({ record: null, basedOn: [], events: [], again: false });
  });
});

describe("transition", () => {
  const base: GroupRecord = { ...emptyGroupRecord("postgres", T0), version: 4, status: "online", owner: "db-a" };

  it("raises the version by one and sets since only when the status changes", () => {
    expect(transition(base, { status: "moving" }, T0 + 5)).toMatchObject({
      version: 5,
      status: "moving",
      since: T0 + 5,
    });
    expect(transition({ ...base, status: "moving" }, { statusReason: "x" }, T0 + 5)).toMatchObject({
      version: 5,
      since: T0,
    });
  });

  it("refuses every move out of failed, which only an operator makes", () => {
    for (const to of ["offline", "online", "moving", "failed"] as const) {
      expect(() => transition({ ...base, status: "failed" }, { status: to }, T0)).toThrow(TransitionError);
    }
  });

  it("refuses online to online and offline to online (a group comes online only through a plan)", () => {
    expect(() => transition(base, { statusReason: "again" }, T0)).toThrow(
      "group postgres: the controller may not move a group from online to online",
    );
    expect(() => transition({ ...base, status: "offline" }, { status: "online" }, T0)).toThrow(TransitionError);
  });
});
