/**
 * The controller's timing rules, derived from the definition's timing (docs/safety.md argues them).
 * The agent's self-fencing deadline (`../self-fencing.ts`) is derived from the same numbers.
 */
import type { Timing } from "../definition/types.js";

/**
 * Margin the controller waits beyond a node's lease before it takes the node's groups:
 * the larger of 2 s and a fifth of the lease. It covers the difference between the clocks
 * of two Lambda hosts (Amazon Time Sync keeps them within milliseconds), the drift of the
 * agent's monotonic clock over one lease, and the agent's own stopping margin.
 */
export function takeoverGraceMs(timing: Timing): number {
  return Math.max(2_000, Math.ceil(timing.leaseDurationMs / 5));
}

/** A node is down once no heartbeat has been received for this long (controller clock). */
export function silenceLimitMs(timing: Timing): number {
  return timing.leaseDurationMs + takeoverGraceMs(timing);
}

/**
 * How long one pass's hold on the controller lease lasts: long enough to span the ticks of one
 * invocation, short enough that the next scheduled invocation (one minute later) can take over
 * from a controller that died.
 */
export function controllerLeaseMs(timing: Timing): number {
  return Math.min(50_000, Math.max(15_000, 2 * timing.controllerTickMs + 5_000));
}

/** A preferred owner must have been up this long before a group fails back to it. */
export function failbackSettleMs(timing: Timing): number {
  return Math.max(30_000, 3 * timing.leaseDurationMs);
}

/** Bounds of the controller-side steps (a plan that exceeds one fails and tells the operator). */
export const STEP_LIMITS = {
  /** StopInstances with Force normally stops an instance in well under a minute. */
  fenceTimeoutMs: 10 * 60_000,
  /**
   * An instance found `stopping` (a stop without Force by someone else, or one stuck on an impaired host)
   * is sent StopInstances with Force, AWS's documented remedy for a stuck stop, and again this long after
   * each request while it stays `stopping`: a force stop takes effect within a minute or two when it can.
   */
  forceStopEveryMs: 60_000,
  /**
   * At most this many StopInstances per fence step (the first included): enough to cover a request lost
   * or overtaken by a slow stop, few enough to stay far below EC2's rate limits; past them the step waits
   * out `fenceTimeoutMs` and fails, and an operator is told.
   */
  maxStopRequests: 4,
  /** A detach still not done after this is retried with Force, if the source is fenced. */
  detachForceAfterMs: 60_000,
  /** A volume still attached to the source after this fails the plan, and an operator is told. */
  detachTimeoutMs: 10 * 60_000,
  /**
   * Detach requests per detach step: the plain one and, once the source is fenced and `detachForceAfterMs` has
   * passed, one with Force. Force is the last resort (the instance gets no chance to flush), so it is asked once.
   */
  maxDetachRequests: 2,
  attachTimeoutMs: 3 * 60_000,
  associateTimeoutMs: 2 * 60_000,
  /**
   * After an AssociateAddress, DescribeAddresses may lag behind it (EC2's describes are eventually consistent):
   * the step waits this long for the association to show before it asks again.
   */
  associateSettleMs: 5_000,
  /** Route 53 propagates in about a minute; past this the change is left to finish on its own. */
  dnsSyncTimeoutMs: 3 * 60_000,
} as const;
