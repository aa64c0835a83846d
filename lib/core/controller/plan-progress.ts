import type { GroupDefinition } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import type { GroupRecord, Plan } from "./records.js";

/**
 * Record transitions of a running plan. Each returns the next record (version + 1) for one
 * conditional write; none reads the clock.
 */

/** Enters step `index`: an agent resource's step is where the owner is told to start it. */
export function enterStep(record: GroupRecord, plan: Plan, index: number, now: number): GroupRecord {
  const step = plan.steps[index];
  const desired =
    step?.kind === "await-online" ? { ...record.desired, [step.resourceId]: "online" as const } : record.desired;
  const { pendingChangeId: _dropped, ...rest } = plan;
  return {
    ...record,
    desired,
    plan: { ...rest, stepIndex: index, stepStartedAt: now, attempts: 0 },
  };
}

export function advance(
  record: GroupRecord,
  patch: Partial<Pick<Plan, "fenced" | "sourceUnconfirmed">> | undefined,
  now: number,
): GroupRecord {
  const plan = { ...record.plan!, ...patch };
  return { ...enterStep(record, plan, plan.stepIndex + 1, now), version: record.version + 1 };
}

export function recordAttempt(record: GroupRecord, changeId: string | undefined): GroupRecord {
  const plan = record.plan!;
  return {
    ...record,
    version: record.version + 1,
    plan: { ...plan, attempts: plan.attempts + 1, ...(changeId ? { pendingChangeId: changeId } : {}) },
  };
}

export function complete(record: GroupRecord, group: GroupDefinition, now: number): GroupRecord {
  const plan = record.plan!;
  return {
    ...record,
    version: record.version + 1,
    status: "online",
    statusReason: `online on ${plan.target} (${plan.kind}: ${plan.reason})`,
    since: now,
    plan: null,
    desired: Object.fromEntries(group.resources.filter(isAgentResource).map((r) => [r.id, "online" as const])),
  };
}

/** A plan that cannot finish leaves the group failed, for an operator: it is never retried blindly. */
export function failPlan(record: GroupRecord, reason: string, now: number): GroupRecord {
  return {
    ...record,
    version: record.version + 1,
    status: "failed",
    statusReason: reason,
    since: now,
    plan: null,
  };
}
