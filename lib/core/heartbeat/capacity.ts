/**
 * The heartbeat endpoint's throttle, derived from the cluster's load (docs/deployment.md,
 * "Heartbeat capacity"). The numbers are `HEARTBEAT_CAPACITY`; the definition's rules refuse a
 * load the endpoint cannot carry, so what is derived here always fits under the account's limits.
 */
import { HEARTBEAT_CAPACITY as C } from "../definition/limits.js";

/** A cluster's steady heartbeat load: each node sends one heartbeat per interval. */
export function heartbeatsPerSecond(nodes: number, heartbeatIntervalMs: number): number {
  return (nodes * 1000) / heartbeatIntervalMs;
}

export interface StageThrottle {
  /** Steady requests per second the stage admits (API Gateway's `ThrottlingRateLimit`). */
  readonly rateLimit: number;
  /** Requests it admits at once (its token bucket's size, `ThrottlingBurstLimit`). */
  readonly burstLimit: number;
}

/**
 * rate  = ceil(stageLoadMargin x nodes / interval) + stageFloodReserve   (4 x load + 250)
 * burst = stageBurstSeconds x rate                                        (2 x rate)
 *
 * The stage throttle is shared by every caller (API Gateway cannot tell nodes apart), so it is a
 * bound on cost, not fairness: it is set well above the nodes' own load, with room for one caller
 * flooding at `stageFloodReserve` requests/s, which the handler refuses per node before any write
 * (`fairness.ts`). A caller flooding faster than that still pushes everyone out: that is what the
 * throttled-heartbeats metric is for.
 */
export function stageThrottle(nodes: number, heartbeatIntervalMs: number): StageThrottle {
  const rateLimit =
    Math.ceil(C.stageLoadMargin * heartbeatsPerSecond(nodes, heartbeatIntervalMs)) + C.stageFloodReserve;
  return { rateLimit, burstLimit: C.stageBurstSeconds * rateLimit };
}
