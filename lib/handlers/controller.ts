import type { Context } from "aws-lambda";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ControllerEvent } from "../core/controller/events.js";
import type { ControllerDependencies } from "../controller/ports.js";
import { runPass, type PassSummary } from "../controller/pass.js";
import { CONTROLLER_SCHEDULE_MS } from "../infra/schedule.js";

/** The slice of Powertools' Metrics the controller uses (embedded-metric-format logs). */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): void;
}

export interface ControllerHandlerDependencies {
  /** Builds the pass dependencies for one invocation (the holder names the invocation). */
  readonly passDependencies: (holder: string) => ControllerDependencies;
  readonly metrics: MetricsSink;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A scheduled invocation older than this is dropped: a later one is already due. */
export const STALE_SCHEDULE_MS = 30_000;
/**
 * An invocation's last pass starts at least one tick plus this before the next scheduled invocation (one schedule
 * period, CONTROLLER_SCHEDULE_MS, after this one started): room for that pass and the lease release, so the passes
 * of two invocations do not overlap and the next one finds the controller lease released.
 */
const NEXT_INVOCATION_MARGIN_MS = 2_000;
const MAX_MANUAL_PASSES = 100;
/**
 * A pass starts only when the function has left at least twice the longest pass of this invocation (this
 * before the first: a pass reads one partition and makes a few AWS calls), plus {@link END_MARGIN_MS}.
 * Lambda kills the function at its timeout, mid-pass and holding the controller lease, which the next
 * invocation then waits out.
 */
export const FIRST_PASS_ESTIMATE_MS = 5_000;
/** Kept free after the last pass: the lease release, the metrics, the answer. */
export const END_MARGIN_MS = 2_000;

export type ControllerInput = { readonly passes?: unknown; readonly time?: unknown; readonly [key: string]: unknown };

export type ControllerResult =
  | (PassSummary & {
      readonly passes: number;
      /** Why fewer passes were made than `passes` asked: the function's time ran short. */
      readonly cutShort?: string;
    })
  | { readonly skipped: string }
  | { readonly error: string };

/**
 * The controller function: `{"passes": N}` makes N passes (operators and tests); a scheduled event makes
 * a pass every controllerTick until shortly before the next scheduled invocation. A null event (an
 * invocation with no payload) is taken as a scheduled one, as `{}` is; any other event that is not a JSON
 * object is refused. Either way, a pass starts only if it fits, with margin, in the time Lambda has left
 * (`getRemainingTimeInMillis`): an invocation asked for more than fits makes fewer and says so.
 */
export function createControllerHandler(deps: ControllerHandlerDependencies) {
  return async (
    input: unknown,
    context: Pick<Context, "awsRequestId" | "getRemainingTimeInMillis">,
  ): Promise<ControllerResult> => {
    const event = (input ?? {}) as ControllerInput;
    if (typeof event !== "object" || Array.isArray(event)) {
      return {
        error: `the event must be a JSON object: {"passes": N} for N passes now, or a scheduled event; received ${JSON.stringify(event)}`,
      };
    }
    const pass = deps.passDependencies(context.awsRequestId);
    const { clock, definition } = pass;
    const started = clock.now();
    // When Lambda kills the function, by the function's own clock.
    const deadline = started + context.getRemainingTimeInMillis();
    let longestPassMs = 0;
    const fitsAt = (at: number) => deadline - at >= Math.max(FIRST_PASS_ESTIMATE_MS, 2 * longestPassMs) + END_MARGIN_MS;
    let passes: number;
    if (Object.hasOwn(event, "passes") && event.passes !== undefined) {
      if (
        !Number.isInteger(event.passes) ||
        (event.passes as number) < 1 ||
        (event.passes as number) > MAX_MANUAL_PASSES
      ) {
        return {
          error: `passes must be a whole number from 1 to ${MAX_MANUAL_PASSES}; received ${JSON.stringify(event.passes)}`,
        };
      }
      passes = event.passes as number;
    } else {
      const scheduledAt = typeof event.time === "string" ? Date.parse(event.time) : NaN;
      if (Number.isFinite(scheduledAt) && started - scheduledAt > STALE_SCHEDULE_MS) {
        pass.logger.warn("stale scheduled invocation dropped", { scheduledAt: event.time });
        return { skipped: `scheduled at ${String(event.time)}, more than ${STALE_SCHEDULE_MS / 1000}s ago` };
      }
      passes = Infinity;
    }
    if (!fitsAt(started)) {
      const left = deadline - started;
      pass.logger.warn("controller invocation too short for a pass", { remainingMs: left });
      return { skipped: `the function had ${left} ms left, too little to finish a pass` };
    }
    const tick = definition.timing.controllerTickMs;
    const lastStart = started + CONTROLLER_SCHEDULE_MS - tick - NEXT_INVOCATION_MARGIN_MS;
    const events: ControllerEvent[] = [];
    let summary: PassSummary | undefined;
    let done = 0;
    let leaseHeld = false;
    let outOfTime = false;
    /** Sleeps until the next tick, unless the pass after it would not fit: then the invocation ends. */
    const awaitTick = async (passStart: number): Promise<boolean> => {
      const wait = Math.max(0, tick - (clock.now() - passStart));
      if (!fitsAt(clock.now() + wait)) {
        outOfTime = true;
        return false;
      }
      await deps.sleep(wait);
      return true;
    };
    while (done < passes) {
      const passStart = clock.now();
      if (done > 0 && passes === Infinity && passStart > lastStart) break;
      let passed: PassSummary;
      try {
        passed = await runPass(pass);
      } catch (error) {
        // A scheduled invocation is the only controller until the next one (not retried): a pass that fails on
        // an AWS error does not end it. The next tick reads everything again, as a new invocation would.
        if (passes !== Infinity) throw error;
        done++;
        longestPassMs = Math.max(longestPassMs, clock.now() - passStart);
        pass.logger.error("controller pass failed; the next tick tries again", { error });
        if (clock.now() > lastStart) throw error;
        if (!(await awaitTick(passStart))) break;
        continue;
      }
      summary = passed;
      done++;
      longestPassMs = Math.max(longestPassMs, clock.now() - passStart);
      leaseHeld ||= summary.leaseHeld;
      events.push(...summary.events);
      record(deps.metrics, summary);
      if (done < passes && !(await awaitTick(passStart))) break;
    }
    deps.metrics.publishStoredMetrics();
    // Idle passes never take the lease; an invocation that took it gives it back so the next one need not wait.
    if (leaseHeld) {
      try {
        await pass.store.releaseLease(context.awsRequestId, clock.now());
      } catch (error) {
        pass.logger.warn("controller lease not released; it expires on its own", { error });
      }
    }
    if (summary === undefined) throw new Error(`every one of the ${done} controller passes of this invocation failed`);
    if (outOfTime && passes !== Infinity) {
      const cutShort = `made ${done} of the ${passes} passes asked: the function's time (${deadline - started} ms) would have run out during the next`;
      pass.logger.warn("controller passes cut short by the function's timeout", { asked: passes, made: done });
      return { ...summary, events, passes: done, cutShort };
    }
    if (outOfTime) {
      pass.logger.warn("scheduled controller invocation ended early: the function's timeout is near", { passes: done });
    }
    return { ...summary, events, passes: done };
  };
}

function record(metrics: MetricsSink, summary: PassSummary): void {
  if (!summary.acted) return;
  metrics.addMetric("NodesUp", MetricUnit.Count, summary.nodes.up.length);
  metrics.addMetric("NodesDown", MetricUnit.Count, summary.nodes.down.length);
  metrics.addMetric("AwsErrors", MetricUnit.Count, summary.awsErrors);
  for (const event of summary.events) {
    if (event.type === "failover-started") {
      metrics.addMetric("FailoversStarted", MetricUnit.Count, 1);
      if (event.detectionDelayMs !== null)
        metrics.addMetric("DetectionDelay", MetricUnit.Milliseconds, event.detectionDelayMs);
    }
    if (event.type === "failover-completed") {
      metrics.addMetric("FailoversCompleted", MetricUnit.Count, 1);
      metrics.addMetric("FailoverDuration", MetricUnit.Milliseconds, event.durationMs);
    }
    if (event.type === "failover-failed" || event.type === "group-failed")
      metrics.addMetric("FailoversFailed", MetricUnit.Count, 1);
    if (event.type === "guard-frozen") metrics.addMetric("GuardFrozen", MetricUnit.Count, 1);
  }
}
