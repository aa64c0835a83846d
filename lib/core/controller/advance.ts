/**
 * One step of a running plan as a pure function, like the agent's `decide()`: from the group record and what
 * the shell observed, the next record to write, the AWS command to perform first (if any), the node reports
 * the write rests on, and the events. The shell (lib/controller/run-plan.ts) only observes, executes and
 * writes. This owns the epoch check and the "restart, then fail over" rule.
 */
import type { ClusterDefinition, GroupDefinition, NodeId } from "../definition/types.js";
import type { NodeHealth } from "./detection.js";
import type { ControllerEvent } from "./events.js";
import { failOver } from "./group-decision.js";
import { describeStep } from "./plan-builder.js";
import { complete, completeStep, failPlan, fenceBeforeStep, recordAttempt } from "./plan-progress.js";
import type { GroupRecord, PlanStep, ReportCondition } from "./records.js";
import { type Command, decideStep, type StepDecision, type StepObservation } from "./steps.js";
import { transition } from "./status.js";

/** What the shell saw before calling `advance`. */
export type PlanObservation =
  /** Nothing to observe: `stepToObserve` returned undefined. */
  | { readonly kind: "none" }
  /** The describe of the step `stepToObserve` named. */
  | { readonly kind: "seen"; readonly seen: StepObservation }
  /** The command `advance` asked for was performed; `changeId`: a Route 53 change to wait on. */
  | { readonly kind: "acted"; readonly reason: string; readonly changeId?: string | undefined }
  /** A describe or the command failed. `fatal`: a code no retry can fix; otherwise the step waits. */
  | { readonly kind: "aws-error"; readonly fatal: boolean; readonly message: string };

export interface PlanContext {
  readonly definition: ClusterDefinition;
  readonly group: GroupDefinition;
  readonly health: ReadonlyMap<NodeId, NodeHealth>;
  /** The mass-failure guard holds: a failed start waits for the thaw rather than moving the group. */
  readonly frozen: boolean;
  /**
   * The step index this pass already acted on, or null: one action per step per pass, so a describe that
   * lags behind the controller's own action does not repeat it.
   */
  readonly actedOn: number | null;
}

export interface PlanAdvance {
  /** The record to write, conditioned on the version of the record given; null: nothing to write. */
  readonly record: GroupRecord | null;
  /**
   * An AWS action to perform first; `record` is then null. The shell performs it and calls `advance`
   * again with its outcome (`acted` or `aws-error`), which gives the record to write.
   */
  readonly command?: { readonly command: Command; readonly reason: string };
  /** Node reports the write rests on: it must fail if any of them has been replaced by a newer heartbeat. */
  readonly basedOn: readonly ReportCondition[];
  readonly events: readonly ControllerEvent[];
  /** The plan may take another step in this pass: observe again at once. */
  readonly again: boolean;
}

const NOTHING: PlanAdvance = { record: null, basedOn: [], events: [], again: false };

/** The step a pass must observe before calling `advance`; undefined when `advance` needs no observation. */
export function stepToObserve(record: GroupRecord): PlanStep | undefined {
  const plan = record.plan;
  if (!plan || record.status === "failed" || plan.epoch !== record.epoch) return undefined;
  return plan.steps[plan.stepIndex];
}

export function advance(
  record: GroupRecord,
  observation: PlanObservation,
  now: number,
  context: PlanContext,
): PlanAdvance {
  const { group } = context;
  const plan = record.plan;
  if (!plan || record.status === "failed") return NOTHING;
  if (plan.epoch !== record.epoch) {
    // A pass never continues a plan of another epoch.
    const reason = `found a plan of epoch ${plan.epoch} under epoch ${record.epoch}`;
    return {
      ...NOTHING,
      record: failPlan(record, reason, now),
      events: [{ type: "failover-failed", groupId: group.id, epoch: record.epoch, reason }],
    };
  }
  const step = plan.steps[plan.stepIndex];
  if (!step) {
    return {
      ...NOTHING,
      record: complete(record, group, now),
      events: [
        {
          type: "failover-completed",
          groupId: group.id,
          epoch: record.epoch,
          kind: plan.kind,
          target: plan.target,
          durationMs: now - plan.startedAt,
        },
      ],
    };
  }
  const name = describeStep(step);
  const stepEvent = (outcome: string): ControllerEvent => ({
    type: "step",
    groupId: group.id,
    epoch: record.epoch,
    step: name,
    outcome,
    durationMs: now - plan.stepStartedAt,
  });

  let decision: StepDecision;
  switch (observation.kind) {
    case "acted":
      return {
        record: recordAttempt(record, observation.changeId, now),
        basedOn: [],
        events: [stepEvent(observation.reason)],
        again: true, // observe again at once: where AWS is quick, the step completes in this pass
      };
    case "aws-error":
      // An AWS failure is not a node failure: the step waits, unless no retry can fix it.
      decision = observation.fatal
        ? { kind: "fail", reason: observation.message }
        : { kind: "wait", reason: observation.message };
      break;
    case "seen":
      decision = decideStep(step, plan, group, observation.seen, now);
      break;
    case "none":
      decision = { kind: "wait", reason: `nothing was observed for ${name}` };
      break;
  }

  switch (decision.kind) {
    case "act":
      if (context.actedOn === plan.stepIndex) return NOTHING;
      return { ...NOTHING, command: { command: decision.command, reason: decision.reason } };
    case "wait":
      return NOTHING;
    case "remember-untold": {
      if (step.kind !== "await-offline") return NOTHING;
      const steps = plan.steps.map((s, i) =>
        i === plan.stepIndex && s.kind === "await-offline" ? { ...s, neverToldThrough: decision.through } : s,
      );
      return {
        record: transition(record, { status: "moving", plan: { ...plan, steps } }, now),
        // Written only while that report is the node's latest: its next one then comes after this write, and after
        // the move's, so no answer to it can give the node the group.
        basedOn: [{ nodeId: step.nodeId, ...decision.through, latest: true }],
        events: [stepEvent(decision.reason)],
        again: false,
      };
    }
    case "fence-first":
      return {
        ...NOTHING,
        record: fenceBeforeStep(record, now),
        events: [stepEvent(decision.reason)],
        again: true,
      };
    case "done":
      return {
        record: completeStep(record, decision.patch, now),
        basedOn: reportsRelied(step, decision, observation),
        events: [stepEvent(`done: ${decision.note}`)],
        again: true,
      };
    case "fail": {
      // While the guard is frozen nothing new starts, so a start that failed cannot move on: it waits for the thaw
      // (and moves on then) rather than leaving the group failed for an operator.
      if (step.kind === "await-online" && context.frozen) return NOTHING;
      if (step.kind === "await-online") {
        // A resource that fails, or does not come online within its pending timeout, on the new owner is a
        // failed resource: the group moves on, as WSFC's "restart, then fail over". The plan it replaces
        // goes with the record, so that its sources not yet freed are inherited.
        const next = failOver(
          { definition: context.definition, group, record, health: context.health, frozen: context.frozen, now },
          plan.target,
          {
            sourceAlive: context.health.get(plan.target)?.up === true,
            reason: `${step.resourceId} did not come online on ${plan.target}: ${decision.reason}`,
          },
        );
        if (next.kind === "write") {
          return {
            record: next.record,
            basedOn: next.basedOn ?? [],
            events: [stepEvent(`failed: ${decision.reason}`), next.event],
            again: true,
          };
        }
      }
      const reason = `${name}: ${decision.reason}`;
      return {
        ...NOTHING,
        record: failPlan(record, reason, now),
        events: [
          stepEvent(`failed: ${decision.reason}`),
          { type: "failover-failed", groupId: group.id, epoch: record.epoch, reason },
        ],
      };
    }
  }
}

/**
 * The reports a completed step rests on: an await-offline step confirmed by the node's own report (offline,
 * fenced, or a leaving heartbeat) holds only while that report is the node's latest. One completed because
 * the node fell silent or did not answer in time rests on AWS-side time, not on a report.
 */
function reportsRelied(
  step: PlanStep,
  decision: Extract<StepDecision, { kind: "done" }>,
  observation: PlanObservation,
): ReportCondition[] {
  if (step.kind !== "await-offline" || decision.patch?.sourceUnconfirmed === true) return [];
  const report = observation.kind === "seen" ? observation.seen.liveness : undefined;
  return report ? [{ nodeId: report.nodeId, bootId: report.bootId, seq: report.seq }] : [];
}
