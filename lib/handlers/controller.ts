import type { Context } from "aws-lambda";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type AlarmStateChange,
  type FailoverRequest,
  failoverRequests,
  readAlarmEvent,
} from "../core/controller/alarm-requests.js";
import type { ControllerEvent } from "../core/controller/events.js";
import {
  type AfterPass,
  afterPass,
  type InvocationTiming,
  mayStartPass,
  passFits,
  type PassOutcome,
} from "../core/controller/invocation.js";
import { type EventPublisher, integrationEvents } from "../core/controller/integration-events.js";
import { CONTROLLER_METRICS as M, METRIC_DIMENSIONS } from "../core/metric-names.js";
import type { ControllerDependencies } from "../controller/dependencies.js";
import { runPass, type PassSummary } from "../controller/pass.js";
import { CONTROLLER_SCHEDULE_MS } from "../infra/schedule.js";

/** The slice of Powertools' Metrics the handlers use (embedded-metric-format logs). */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): void;
}

/** The controller's metrics also need one-off metrics with a dimension of their own (the per-node gauge). */
export interface ControllerMetricsSink extends MetricsSink {
  /** A metric published at once, on its own line, with the default dimensions plus those added. */
  singleMetric(): {
    addDimension(name: string, value: string): unknown;
    addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  };
}

export interface ControllerHandlerDependencies {
  /** Builds the pass dependencies for one invocation (the holder names the invocation). */
  readonly passDependencies: (holder: string) => ControllerDependencies;
  readonly metrics: ControllerMetricsSink;
  /**
   * Publish every gauge on every pass and the per-node `NodeDown` gauge (one metric, and one line, per node per
   * invocation), as `FailoverClusterProps.detailedMetrics` asks. Otherwise only `ALARM_GAUGES` and the counters of
   * what happened: each metric name costs $0.30 a month (docs/cost.md).
   */
  readonly detailedMetrics: boolean;
  /** Failovers, failed groups, the guard, nodes going down and up, for integrations (docs/events.md). */
  readonly eventBus: EventPublisher;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A scheduled invocation older than this is dropped: a later one is already due. */
export const STALE_SCHEDULE_MS = 30_000;
const MAX_MANUAL_PASSES = 100;

export type ControllerInput = { readonly passes?: unknown; readonly time?: unknown; readonly [key: string]: unknown };

export type ControllerResult =
  | (PassSummary & {
      readonly passes: number;
      /** Why fewer passes were made than `passes` asked: the function's time ran short. */
      readonly cutShort?: string;
      /** An alarm state change invoked the controller: the alarm, and the groups it moved. */
      readonly alarm?: { readonly name: string; readonly state: string; readonly moved: readonly string[] };
    })
  | { readonly skipped: string }
  | { readonly error: string };

/**
 * The controller function: `{"passes": N}` makes N passes (operators and tests); a scheduled event, or a wake-up
 * from the heartbeat function (`{"wake": ...}`), makes a pass, and another every controllerTick while a move is in
 * flight, until shortly before the next scheduled invocation. With nothing in flight it
 * makes one pass and ends: the heartbeat function wakes it when a watched node falls silent or a report a move waits
 * for arrives, and the schedule's pass each minute is the backstop. A null event (an
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
    const alarmChange = readAlarmEvent(event);
    // Acted on by the first pass that completes; a group it moved is noted in the cluster log with the alarm's name.
    let alarmRequests: readonly FailoverRequest[] = [];
    if (alarmChange !== undefined) {
      alarmRequests = failoverRequests(definition, alarmChange);
      deps.metrics.addMetric(M.alarmRequests, MetricUnit.Count, 1);
      pass.logger.info("alarm state change received", {
        alarm: alarmChange.alarmName,
        state: alarmChange.state,
        instanceIds: alarmChange.instanceIds,
        requests: alarmRequests,
      });
    }
    const moved: string[] = [];
    const started = clock.now();
    // When Lambda kills the function, by the function's own clock.
    const deadline = started + context.getRemainingTimeInMillis();
    let longestPassMs = 0;
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
    } else if (alarmChange !== undefined) {
      // Not dropped as a stale schedule: Lambda retries a throttled one (the slot busy with a scheduled run) for up
      // to the function's maximum event age. It then serves as the minute's scheduled invocation.
      passes = Infinity;
    } else {
      const scheduledAt = typeof event.time === "string" ? Date.parse(event.time) : NaN;
      if (Number.isFinite(scheduledAt) && started - scheduledAt > STALE_SCHEDULE_MS) {
        pass.logger.warn("stale scheduled invocation dropped", { scheduledAt: event.time });
        return { skipped: `scheduled at ${String(event.time)}, more than ${STALE_SCHEDULE_MS / 1000}s ago` };
      }
      passes = Infinity;
    }
    const timing: InvocationTiming = {
      startedAt: started,
      deadline,
      tickMs: definition.timing.controllerTickMs,
      scheduleMs: CONTROLLER_SCHEDULE_MS,
    };
    if (!passFits(timing, started, 0)) {
      const left = deadline - started;
      pass.logger.warn("controller invocation too short for a pass", { remainingMs: left });
      return { skipped: `the function had ${left} ms left, too little to finish a pass` };
    }
    const events: ControllerEvent[] = [];
    let summary: PassSummary | undefined;
    let done = 0;
    let leaseHeld = false;
    let outOfTime = false;
    /** After a pass: stop, or wait for the next tick (lib/core/controller/invocation.ts decides which). */
    const decide = (passStart: number, outcome: PassOutcome): AfterPass =>
      afterPass({ timing, asked: passes, done, passStartedAt: passStart, now: clock.now(), longestPassMs, outcome });
    const goOn = async (next: AfterPass): Promise<boolean> => {
      if (!next.next) {
        outOfTime = next.why === "out-of-time";
        return false;
      }
      await deps.sleep(next.waitMs);
      return true;
    };
    while (done < passes) {
      const passStart = clock.now();
      if (!mayStartPass(timing, passes, done, passStart)) break;
      let passed: PassSummary;
      try {
        passed = await runPass(pass, alarmRequests);
      } catch (error) {
        // A scheduled invocation is the only controller until the next one (not retried): a pass that fails on
        // an AWS error does not end it. The next tick reads everything again, as a new invocation would.
        done++;
        longestPassMs = Math.max(longestPassMs, clock.now() - passStart);
        const next = decide(passStart, { failed: true });
        if (!next.next && next.why === "failed") throw error;
        pass.logger.error("controller pass failed; the next tick tries again", { error });
        if (!(await goOn(next))) break;
        continue;
      }
      summary = passed;
      if (alarmRequests.length > 0) {
        const asked = new Set(alarmRequests.map((r) => r.groupId));
        for (const e of passed.events) {
          if (e.type === "failover-started" && asked.has(e.groupId) && e.reason.includes("alarm-driven"))
            moved.push(e.groupId);
        }
        const ignored = [...asked].filter((groupId) => !moved.includes(groupId));
        if (ignored.length > 0) {
          pass.logger.info("alarm-driven failover: nothing to move (the group is not online on the alarm's node)", {
            alarm: alarmChange?.alarmName,
            groups: ignored,
          });
        }
        alarmRequests = [];
      }
      done++;
      longestPassMs = Math.max(longestPassMs, clock.now() - passStart);
      leaseHeld ||= summary.leaseHeld;
      events.push(...summary.events);
      record(deps.metrics, summary, deps.detailedMetrics);
      await publishEvents(deps.eventBus, pass, summary);
      const inFlight = summary.groups.some((g) => g.waitsOn !== null);
      if (!(await goOn(decide(passStart, { failed: false, lookedOnly: summary.lookedOnly, inFlight })))) break;
    }
    if (summary !== undefined && deps.detailedMetrics) recordNodes(deps.metrics, summary);
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
      return { ...summary, events, passes: done, cutShort, ...alarmResult(alarmChange, moved) };
    }
    if (outOfTime) {
      pass.logger.warn("scheduled controller invocation ended early: the function's timeout is near", { passes: done });
    }
    return { ...summary, events, passes: done, ...alarmResult(alarmChange, moved) };
  };
}

function alarmResult(change: AlarmStateChange | undefined, moved: readonly string[]) {
  return change === undefined ? {} : { alarm: { name: change.alarmName, state: change.state, moved } };
}

/**
 * Every pass: the gauges the alarms watch, whatever the pass did (an alarm on them must stay in ALARM while the state
 * lasts), and `ControllerPasses`; the other gauges with detailed metrics; the counters of what happened (AWS errors
 * only when there were some, unless detailed). Stored, and published together once per invocation (one line).
 */
function record(metrics: MetricsSink, summary: PassSummary, detailed: boolean): void {
  const g = summary.gauges;
  const count = MetricUnit.Count;
  const ms = MetricUnit.Milliseconds;
  metrics.addMetric(M.passes, count, 1);
  metrics.addMetric(M.nodesDown, count, g.nodesDown);
  metrics.addMetric(M.groupsFailed, count, g.groupsFailed);
  metrics.addMetric(M.groupsOverdue, count, g.groupsOverdue);
  metrics.addMetric(M.guardFrozen, count, g.guardFrozen);
  if (detailed) {
    metrics.addMetric(M.nodesUp, count, g.nodesUp);
    metrics.addMetric(M.nodesDrained, count, g.nodesDrained);
    metrics.addMetric(M.groupsOnline, count, g.groupsOnline);
    metrics.addMetric(M.groupsMoving, count, g.groupsMoving);
    metrics.addMetric(M.groupsOffline, count, g.groupsOffline);
    metrics.addMetric(M.oldestHeartbeatAge, ms, g.oldestHeartbeatAgeMs);
    metrics.addMetric(M.longestMove, ms, g.longestMoveMs);
  }
  if (detailed || summary.awsErrors > 0) metrics.addMetric(M.awsErrors, count, summary.awsErrors);
  for (const event of summary.events) {
    if (event.type === "failover-started") {
      metrics.addMetric(M.failoversStarted, count, 1);
      if (event.detectionDelayMs !== null) metrics.addMetric(M.detectionDelay, ms, event.detectionDelayMs);
    }
    if (event.type === "failover-completed") {
      metrics.addMetric(M.failoversCompleted, count, 1);
      metrics.addMetric(M.failoverDuration, ms, event.durationMs);
    }
    if (event.type === "failover-failed" || event.type === "group-failed")
      metrics.addMetric(M.failoversFailed, count, 1);
  }
}

/** The pass's integration events, if any; a failure is logged, and never stops the controller. */
async function publishEvents(bus: EventPublisher, pass: ControllerDependencies, summary: PassSummary): Promise<void> {
  const at = Date.parse(summary.at);
  const events = integrationEvents(pass.definition.cluster, summary.events, at);
  if (events.length === 0) return;
  try {
    await bus.publish(events);
  } catch (error) {
    pass.logger.error("events not put on the event bus", { error, detailTypes: events.map((e) => e.detailType) });
  }
}

/** The per-node gauge, from the invocation's last pass: one line per node, once per invocation. */
function recordNodes(metrics: ControllerMetricsSink, summary: PassSummary): void {
  for (const [nodeId, down] of Object.entries(summary.gauges.nodeDown)) {
    const single = metrics.singleMetric();
    single.addDimension(METRIC_DIMENSIONS.node, nodeId);
    single.addMetric(M.nodeDown, MetricUnit.Count, down);
  }
}
