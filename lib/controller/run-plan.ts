import { AwsRejectedError } from "../core/controller/aws-errors.js";
import { StateConflictError } from "../core/controller/ports.js";
import type { NodeHealth } from "../core/controller/detection.js";
import type { ControllerEvent } from "../core/controller/events.js";
import { failOver } from "../core/controller/group-decision.js";
import { describeStep } from "../core/controller/plan-builder.js";
import { advance, complete, failPlan, recordAttempt } from "../core/controller/plan-progress.js";
import type { ClusterSnapshot, GroupRecord } from "../core/controller/records.js";
import { decideStep, type StepDecision } from "../core/controller/steps.js";
import type { GroupDefinition, NodeId } from "../core/definition/types.js";
import { execute } from "./execute.js";
import { observe } from "./observe.js";
import type { ControllerDependencies } from "./ports.js";

/** Steps that may complete in one pass before the pass moves on (each is one conditional write). */
const MAX_STEPS_PER_PASS = 32;

/** AWS codes that no retry can fix: the plan fails at once. */
const FATAL_CODES = new Set(["InvalidVolume.ZoneMismatch"]);

/**
 * Takes a group's plan as far as it can go this pass: observe, decide, act, write. Waiting steps end
 * the group's turn; an AWS error is a wait (never a node failure), except codes no retry can fix.
 * @throws StateConflictError when another pass changed the group first
 */
export async function runPlan(
  deps: ControllerDependencies,
  group: GroupDefinition,
  record: GroupRecord,
  snapshot: ClusterSnapshot,
  health: ReadonlyMap<NodeId, NodeHealth>,
  events: ControllerEvent[],
  awsErrors: { count: number },
  /** The mass-failure guard holds: a failed start leaves the group failed rather than moving it. */
  frozen: boolean,
): Promise<GroupRecord> {
  let current = record;
  let actedOn = -1;
  const write = async (next: GroupRecord): Promise<void> => {
    await deps.store.writeGroup(next, current.version);
    current = next;
  };
  for (let i = 0; i < MAX_STEPS_PER_PASS; i++) {
    const plan = current.plan;
    if (!plan) return current;
    const now = deps.clock.now();
    if (plan.epoch !== current.epoch) {
      // A pass never continues a plan of another epoch.
      await write(failPlan(current, `found a plan of epoch ${plan.epoch} under epoch ${current.epoch}`, now));
      return current;
    }
    const step = plan.steps[plan.stepIndex];
    if (!step) {
      await write(complete(current, group, now));
      events.push({
        type: "failover-completed",
        groupId: group.id,
        epoch: current.epoch,
        kind: plan.kind,
        target: plan.target,
        durationMs: now - plan.startedAt,
      });
      return current;
    }
    const name = describeStep(step);
    const stepEvent = (outcome: string): ControllerEvent => ({
      type: "step",
      groupId: group.id,
      epoch: current.epoch,
      step: name,
      outcome,
      durationMs: now - plan.stepStartedAt,
    });

    let decision: StepDecision;
    try {
      decision = decideStep(step, plan, group, await observe(step, plan, deps, snapshot, health), now);
    } catch (error) {
      decision = awsFailure(error, name, awsErrors, deps);
    }
    if (decision.kind === "act" && actedOn === plan.stepIndex) {
      // One action per step per pass: a describe that lags behind our own action must not repeat it.
      return current;
    }
    if (decision.kind === "act") {
      try {
        const changeId = await execute(decision.command, deps);
        await write(recordAttempt(current, changeId));
        events.push(stepEvent(decision.reason));
        actedOn = plan.stepIndex;
        continue; // observe again at once: where AWS is quick, the step completes in this pass
      } catch (error) {
        if (error instanceof StateConflictError) throw error;
        decision = awsFailure(error, name, awsErrors, deps);
      }
    }
    switch (decision.kind) {
      case "done":
        await write(advance(current, decision.patch, now));
        events.push(stepEvent(`done: ${decision.note}`));
        continue;
      case "fail":
        if (step.kind === "await-online" && !frozen) {
          // A resource that fails, or does not come online within its pending timeout, on the new
          // owner is a failed resource: the group moves on, as WSFC's "restart, then fail over".
          events.push(stepEvent(`failed: ${decision.reason}`));
          const next = failOver(
            { definition: deps.definition, group, record: { ...current, plan: null }, health, frozen, now },
            plan.target,
            health.get(plan.target)?.up === true,
            `${step.resourceId} did not come online on ${plan.target}: ${decision.reason}`,
          );
          if (next.kind === "write") {
            await write(next.record);
            events.push(next.event);
            continue;
          }
        }
        await write(failPlan(current, `${name}: ${decision.reason}`, now));
        events.push(stepEvent(`failed: ${decision.reason}`));
        events.push({
          type: "failover-failed",
          groupId: group.id,
          epoch: current.epoch,
          reason: `${name}: ${decision.reason}`,
        });
        return current;
      default:
        return current;
    }
  }
  return current;
}

function awsFailure(
  error: unknown,
  step: string,
  awsErrors: { count: number },
  deps: ControllerDependencies,
): StepDecision {
  awsErrors.count++;
  if (error instanceof AwsRejectedError && FATAL_CODES.has(error.code)) {
    return { kind: "fail", reason: error.message };
  }
  deps.logger.warn("AWS call failed; the step waits for the next tick", { step, error });
  return { kind: "wait", reason: error instanceof Error ? error.message : String(error) };
}
