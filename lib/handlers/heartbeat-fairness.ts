import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { HEARTBEAT_CAPACITY } from "../core/definition/limits.js";
import { HEARTBEAT_METRICS } from "../core/metric-names.js";
import { formatDuration } from "../core/duration.js";
import { nodeAllowance, takeHeartbeatToken, type NodeAllowance, type TokenBucket } from "../core/heartbeat/fairness.js";
import type { MetricsSink } from "./controller.js";
import { type HandlerLogger, jsonResponse } from "./http-errors.js";

/** Metric (count) of heartbeats refused because their node sent them far faster than its interval. */
const HEARTBEATS_THROTTLED_METRIC = HEARTBEAT_METRICS.throttled;

/** Refusals are logged and counted at most this often per execution environment: a flood must not cost a log line each. */
const THROTTLE_REPORT_EVERY_MS = 10_000;

/**
 * The shell of per-node fairness (`lib/core/heartbeat/fairness.ts`): one token bucket per node in
 * this execution environment's memory, keyed by the authenticated node (so no caller can spend
 * another node's allowance), at most one per node of the definition.
 *
 * Per execution environment: Lambda runs several at once and starts new ones with full buckets, so
 * a flooding node may be admitted up to its allowance in each environment it reaches. That still
 * bounds its writes; it is not an exact per-node rate across the function.
 */
export class HeartbeatFairness {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly allowance: NodeAllowance;
  private unreported = new Map<string, number>();
  private reportedAt = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly logger: HandlerLogger,
    private readonly metrics: MetricsSink,
  ) {
    this.allowance = nodeAllowance(intervalMs);
  }

  /** undefined when the heartbeat may go on to be recorded; else the 429 answer to send instead. */
  refuse(nodeId: string, now: number): APIGatewayProxyStructuredResultV2 | undefined {
    const decision = takeHeartbeatToken(this.buckets.get(nodeId), now, this.allowance);
    this.buckets.set(nodeId, decision.bucket);
    if (!decision.admitted) this.unreported.set(nodeId, (this.unreported.get(nodeId) ?? 0) + 1);
    // The first refusal is reported at once, later ones together once the period has passed (by whichever
    // request, of any node, comes next), so a flood costs one log line and one metric line per period.
    if (this.unreported.size > 0 && now - this.reportedAt >= THROTTLE_REPORT_EVERY_MS) this.report(now);
    if (decision.admitted) return undefined;
    const response = jsonResponse(429, {
      error: {
        code: "TooManyHeartbeats",
        message:
          `This node sends heartbeats far faster than its heartbeat interval (${formatDuration(this.intervalMs)}) ` +
          `allows: at most ${this.allowance.burst} at once and ${HEARTBEAT_CAPACITY.nodeHeartbeatsPerInterval} ` +
          `per interval on average are recorded. This one was not; send one heartbeat per interval.`,
      },
    });
    const retryAfter = String(Math.ceil(decision.retryAfterMs / 1000));
    return { ...response, headers: { ...response.headers, "retry-after": retryAfter } };
  }

  private report(now: number): void {
    let total = 0;
    for (const [nodeId, refused] of this.unreported) {
      total += refused;
      this.logger.warn("heartbeats refused: the node sends far faster than its interval", {
        nodeId,
        refused,
        status: 429,
      });
    }
    this.unreported = new Map();
    this.reportedAt = now;
    this.metrics.addMetric(HEARTBEATS_THROTTLED_METRIC, MetricUnit.Count, total);
    this.metrics.publishStoredMetrics();
  }
}
