import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { HEARTBEAT_METRICS } from "../core/metric-names.js";
import type { MetricsSink } from "./controller.js";

/** Refusals are published at the first one, then at most this often per execution environment. */
const REFUSALS_EVERY_MS = 10_000;
/** Latencies are kept and published together at most this often (or by 100, when Powertools flushes on its own). */
const LATENCIES_EVERY_MS = 60_000;

/** Refusals counted by status, each under its own metric name (429 is counted by `HeartbeatFairness`). */
const REFUSAL_METRICS: Readonly<Record<number, string>> = {
  403: HEARTBEAT_METRICS.forbidden,
  409: HEARTBEAT_METRICS.stale,
};

/**
 * The heartbeat function's own metrics, batched per execution environment so that the heartbeat path stays cheap:
 * an answered heartbeat adds its latency to the stored values, published once a minute (one metric line per
 * environment per minute, not one per heartbeat); a refusal with 403 or 409 is published at once when it is the
 * first for 10 s, else with the next publication. A value kept when the environment is recycled is lost.
 */
export class HeartbeatMetrics {
  private readonly refused = new Map<number, number>();
  private refusalsAt = -Infinity;
  private publishedAt = -Infinity;

  /**
   * @param latency whether to publish `HeartbeatLatency` (detailed metrics only: no alarm watches it, and it costs
   *   $0.30 a month; the function's own `Duration` is free).
   */
  constructor(
    private readonly metrics: MetricsSink,
    private readonly latency: boolean,
  ) {}

  /** One answered request: its status and the handler's time on it. */
  record(status: number, latencyMs: number, now: number): void {
    if (status === 200 && this.latency) {
      this.metrics.addMetric(HEARTBEAT_METRICS.latency, MetricUnit.Milliseconds, latencyMs);
    }
    if (REFUSAL_METRICS[status] !== undefined) this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
    const refusalsDue = this.refused.size > 0 && now - this.refusalsAt >= REFUSALS_EVERY_MS;
    const latenciesDue = this.latency && now - this.publishedAt >= LATENCIES_EVERY_MS;
    if (refusalsDue || latenciesDue) this.publish(now);
  }

  private publish(now: number): void {
    for (const [status, count] of this.refused)
      this.metrics.addMetric(REFUSAL_METRICS[status]!, MetricUnit.Count, count);
    if (this.refused.size > 0) this.refusalsAt = now;
    this.refused.clear();
    this.publishedAt = now;
    this.metrics.publishStoredMetrics();
  }
}
