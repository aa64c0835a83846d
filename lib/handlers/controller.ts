import type { Context } from "aws-lambda";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { ControllerEvent } from "../core/controller/events.js";
import type { ControllerDependencies } from "../controller/ports.js";
import { runPass, type PassSummary } from "../controller/pass.js";

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
/** The schedule's period: an invocation stops starting passes before the next one begins. */
const SCHEDULE_MS = 60_000;
const MAX_MANUAL_PASSES = 100;

export type ControllerInput = { readonly passes?: unknown; readonly time?: unknown; readonly [key: string]: unknown };

export type ControllerResult =
  (PassSummary & { readonly passes: number }) | { readonly skipped: string } | { readonly error: string };

/**
 * The controller function: `{"passes": N}` makes exactly N passes (operators and tests); a scheduled
 * event makes a pass every controllerTick until shortly before the next scheduled invocation.
 */
export function createControllerHandler(deps: ControllerHandlerDependencies) {
  return async (event: ControllerInput, context: Pick<Context, "awsRequestId">): Promise<ControllerResult> => {
    const pass = deps.passDependencies(context.awsRequestId);
    const { clock, definition } = pass;
    const started = clock.now();
    let passes: number;
    if (event.passes !== undefined) {
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
    const tick = definition.timing.controllerTickMs;
    const lastStart = started + SCHEDULE_MS - tick - 2_000;
    const events: ControllerEvent[] = [];
    let summary: PassSummary | undefined;
    let done = 0;
    let leaseHeld = false;
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
        pass.logger.error("controller pass failed; the next tick tries again", { error });
        if (clock.now() > lastStart) throw error;
        await deps.sleep(Math.max(0, tick - (clock.now() - passStart)));
        continue;
      }
      summary = passed;
      done++;
      leaseHeld ||= summary.leaseHeld;
      events.push(...summary.events);
      record(deps.metrics, summary);
      if (done < passes) await deps.sleep(Math.max(0, tick - (clock.now() - passStart)));
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
