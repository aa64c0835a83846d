import type { GroupDefinition } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import { retire } from "./plan-builder.js";
import { transition } from "./status.js";
import { fencedInstancesOf, type GroupRecord, type Plan, type PlanStep, unconfirmedNodesOf } from "./records.js";

/**
 * Record transitions of a running plan. Each returns the next record (version + 1, through `transition`)
 * for one conditional write; none reads the clock.
 */

/**
 * Enters step `index`. The first await-online step of a run (the await-online steps in a row, with no
 * controller-side step between them) is where the target is told to start every resource of the run at once: its
 * agent starts them in dependency order, each once those it depends on are online there, on one answer. A later
 * step of the same run keeps the moment the run was asked (`onlineAskedAt`). A resource after a controller-side
 * step (an address, a record, a volume) is asked for only once that step is done: the agent knows nothing of them.
 */
export function enterStep(record: GroupRecord, plan: Plan, index: number, now: number): GroupRecord {
  const step = plan.steps[index];
  const { pendingChangeId: _dropped, onlineAskedAt: asked, ...rest } = plan;
  if (step?.kind !== "await-online") {
    return { ...record, plan: { ...rest, stepIndex: index, stepStartedAt: now, attempts: 0 } };
  }
  const previous = plan.steps[index - 1];
  const sameRun = previous?.kind === "await-online" && previous.nodeId === step.nodeId && asked !== undefined;
  const run = runFrom(plan.steps, index).map((s): [string, "online"] => [s.resourceId, "online"]);
  const desired: GroupRecord["desired"] = { ...record.desired, ...Object.fromEntries(run) };
  return {
    ...record,
    desired,
    plan: { ...rest, stepIndex: index, stepStartedAt: now, attempts: 0, onlineAskedAt: sameRun ? asked : now },
  };
}

/** The await-online steps from `index` on, in a row, on the node of the first. */
function runFrom(steps: readonly PlanStep[], index: number): Extract<PlanStep, { kind: "await-online" }>[] {
  const first = steps[index];
  const run: Extract<PlanStep, { kind: "await-online" }>[] = [];
  for (let i = index; i < steps.length; i++) {
    const s = steps[i];
    if (s?.kind !== "await-online" || first?.kind !== "await-online" || s.nodeId !== first.nodeId) break;
    run.push(s);
  }
  return run;
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
