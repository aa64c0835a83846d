import { emptyGroupRecord, type GroupRecord, type Plan, type PlanStep } from "../../lib/core/controller/records.js";

/**
 * The example's postgres group moving from db-a to db-b under epoch 2, at the first of `steps` since `at`, for tests
 * of a plan's progress: the source alive and nothing fenced unless `over` says otherwise.
 */
export function movingPostgres(
  at: number,
  steps: PlanStep[],
  over: Partial<Plan> = {},
  record: Partial<GroupRecord> = {},
): GroupRecord {
  return {
    ...emptyGroupRecord("postgres", at),
    version: 10,
    owner: "db-b",
    epoch: 2,
    status: "moving",
    since: at,
    desired: { "pg-mount": "offline", postgres: "offline" },
    plan: {
      kind: "failover",
      reason: "node db-a is silent",
      source: "db-a",
      sourceAlive: true,
      target: "db-b",
      epoch: 2,
      steps,
      stepIndex: 0,
      stepStartedAt: at,
      attempts: 0,
      sourceUnconfirmed: false,
      fenced: false,
      unconfirmedNodes: [],
      fencedInstances: [],
      startedAt: at - 10_000,
      ...over,
    },
    ...record,
  };
}
