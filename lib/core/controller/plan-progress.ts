import type { GroupDefinition } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import { retire } from "./plan-builder.js";
import { transition } from "./status.js";
import { fencedInstancesOf, type GroupRecord, type Plan, type PlanStep, unconfirmedNodesOf } from "./records.js";

/**
 * Record transitions of a running plan. Each returns the next record (version + 1, through `transition`)
 * for one conditional write; none reads the clock.
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

/** Completes the current step; `patch` says what it learned of the source it concerns. */
export function completeStep(
  record: GroupRecord,
  patch: Partial<Pick<Plan, "fenced" | "sourceUnconfirmed">> | undefined,
  now: number,
): GroupRecord {
  const plan = withFindings(record.plan!, patch);
  const entered = enterStep(record, plan, plan.stepIndex + 1, now);
  // A running plan means `moving`; an older controller left some plans under `offline` (a group waiting).
  return transition(record, { status: "moving", desired: entered.desired, plan: entered.plan }, now);
}

/**
 * Records a step's finding against the node or instance it concerns: an await-offline step's node did not
 * confirm its stop; a fence step's instance is stopped. The plan-wide flags say whether any did.
 */
function withFindings(plan: Plan, patch: Partial<Pick<Plan, "fenced" | "sourceUnconfirmed">> | undefined): Plan {
  const step = plan.steps[plan.stepIndex];
  // Plans written before plans had several sources have one source and one fence step.
  let unconfirmed = unconfirmedNodesOf(plan);
  let fenced = fencedInstancesOf(plan);
  if (patch?.sourceUnconfirmed === true && step?.kind === "await-offline" && !unconfirmed.includes(step.nodeId)) {
    unconfirmed = [...unconfirmed, step.nodeId];
  }
  if (patch?.fenced === true && step?.kind === "fence" && !fenced.includes(step.instanceId)) {
    fenced = [...fenced, step.instanceId];
  }
  return {
    ...plan,
    sourceUnconfirmed: plan.sourceUnconfirmed || unconfirmed.length > 0,
    fenced: plan.fenced || fenced.length > 0,
    unconfirmedNodes: unconfirmed,
    fencedInstances: fenced,
  };
}

/**
 * Puts a fence step of the current detach step's source before that step, and enters it: the detach goes on
 * once the fence saw the instance stopped (and may then be forced). The version condition makes it one write.
 */
export function fenceBeforeStep(record: GroupRecord, now: number): GroupRecord {
  const plan = record.plan!;
  const step = plan.steps[plan.stepIndex];
  if (step?.kind !== "detach-volume") return record;
  const fence: PlanStep = {
    kind: "fence",
    instanceId: step.instanceId,
    onlyIfUnconfirmed: false,
    ...(step.nodeId !== undefined ? { nodeId: step.nodeId } : {}),
  };
  const steps = [...plan.steps.slice(0, plan.stepIndex), fence, ...plan.steps.slice(plan.stepIndex)];
  const entered = enterStep(record, { ...plan, steps }, plan.stepIndex, now);
  return transition(record, { status: "moving", plan: entered.plan }, now);
}

/** Counts an action taken in the current step (and the Route 53 change it started, to wait on). */
export function recordAttempt(record: GroupRecord, changeId: string | undefined, now: number): GroupRecord {
  const plan = record.plan!;
  return transition(
    record,
    {
      status: "moving",
      plan: { ...plan, attempts: plan.attempts + 1, ...(changeId ? { pendingChangeId: changeId } : {}) },
    },
    now,
  );
}

export function complete(record: GroupRecord, group: GroupDefinition, now: number): GroupRecord {
  const plan = record.plan!;
  return transition(
    record,
    {
      status: "online",
      statusReason: `online on ${plan.target} (${plan.kind}: ${plan.reason})`,
      plan: null,
      desired: Object.fromEntries(group.resources.filter(isAgentResource).map((r) => [r.id, "online" as const])),
    },
    now,
  );
}

/**
 * A plan that cannot finish leaves the group failed, for an operator: it is never retried blindly. The
 * sources it had not freed stay in the record, for the next plan to fence or await.
 */
export function failPlan(record: GroupRecord, reason: string, now: number): GroupRecord {
  return transition(retire(record), { status: "failed", statusReason: reason }, now);
}
