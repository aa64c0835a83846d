import { advance, type PlanObservation, stepToObserve } from "../core/controller/advance.js";
import { AwsRejectedError } from "../core/aws-errors.js";
import type { NodeHealth } from "../core/controller/detection.js";
import type { ControllerEvent } from "../core/controller/events.js";
import { describeStep } from "../core/controller/plan-builder.js";
import type { ClusterSnapshot, GroupRecord, PlanStep, ReportCondition } from "../core/controller/records.js";
import type { GroupDefinition, NodeId } from "../core/definition/types.js";
import { execute } from "./execute.js";
import { observe } from "./observe.js";
import type { ControllerDependencies } from "./dependencies.js";

/** Steps that may complete in one pass before the pass moves on (each is one conditional write). */
const MAX_STEPS_PER_PASS = 32;

/** AWS codes that no retry can fix: the plan fails at once. */
const FATAL_CODES = new Set(["InvalidVolume.ZoneMismatch"]);

/** One group's plan in this pass: what the pass read, and where it collects what happened. */
export interface PlanRun {
  readonly group: GroupDefinition;
  readonly record: GroupRecord;
  readonly snapshot: ClusterSnapshot;
  readonly health: ReadonlyMap<NodeId, NodeHealth>;
  /** The mass-failure guard holds: a failed start waits for the thaw rather than moving the group. */
  readonly frozen: boolean;
  /** The pass's events: the plan's are added. */
  readonly events: ControllerEvent[];
  /** The pass's count of failed AWS calls. */
  readonly awsErrors: { count: number };
}

/**
 * Takes a group's plan as far as it can go this pass. The decisions are the core's (`advance`); this
 * shell only observes, performs the command asked for, and writes the record it is given, conditioned on
 * the version read and on the node reports the decision rests on.
 * @throws StateConflictError when another pass changed the group first, or a report relied on was replaced
 */
export async function runPlan(deps: ControllerDependencies, run: PlanRun): Promise<GroupRecord> {
  const { group, record, snapshot, health, frozen, events, awsErrors } = run;
  let current = record;
  let actedOn: number | null = null;
  const write = async (next: GroupRecord, basedOn: readonly ReportCondition[]): Promise<void> => {
    await deps.store.writeGroup(next, current.version, basedOn.length > 0 ? basedOn : undefined);
    current = next;
  };
  const failure = (error: unknown, step: PlanStep): PlanObservation => {
    awsErrors.count++;
    const fatal = error instanceof AwsRejectedError && FATAL_CODES.has(error.code);
    if (!fatal)
      deps.logger.warn("AWS call failed; the step waits for the next tick", { step: describeStep(step), error });
    return { kind: "aws-error", fatal, message: error instanceof Error ? error.message : String(error) };
  };
  for (let i = 0; i < MAX_STEPS_PER_PASS; i++) {
    const now = deps.clock.now();
    const context = { definition: deps.definition, group, health, frozen, actedOn };
    const step = stepToObserve(current);
    let seen: PlanObservation = { kind: "none" };
    if (step) {
      try {
        seen = { kind: "seen", seen: await observe(step, current.plan!, deps, snapshot, health) };
      } catch (error) {
        seen = failure(error, step);
      }
    }
    let next = advance(current, seen, now, context);
    if (next.command && step) {
      let outcome: PlanObservation;
      try {
        const changeId = await execute(next.command.command, deps);
        outcome = { kind: "acted", reason: next.command.reason, changeId };
        actedOn = current.plan!.stepIndex;
      } catch (error) {
        outcome = failure(error, step);
      }
      next = advance(current, outcome, now, { ...context, actedOn });
    }
    if (next.record) await write(next.record, next.basedOn);
    events.push(...next.events);
    if (!next.again) return current;
  }
  return current;
}
