/**
 * The agent's side of the lease (docs/safety.md): when a node that has stopped hearing from the
 * cluster must begin stopping a group's resources, and when they must all be stopped. The
 * controller's side (`controller/timing.ts`) waits beyond the lease; the agent stops inside it.
 * Both are derived from the definition's timing, and the definition's rules refuse a timing that
 * leaves a group too little time to stop.
 *
 * All times are measured on the agent's monotonic clock from the moment it SENT the last heartbeat
 * that was acknowledged (sending precedes receipt, so this is the safe side).
 */
import type { Timing } from "./definition/types.js";

/** The two numbers the agent's side of the lease depends on; an agent learns them from each answer. */
export type LeaseTiming = Pick<Timing, "leaseDurationMs" | "heartbeatIntervalMs">;

/**
 * How far before the end of its lease the agent has every resource stopped: the larger of 250 ms
 * and a twentieth of the lease. It covers the drift of the node's monotonic clock over one lease
 * and the time between deciding to stop and the stop taking effect.
 */
export function agentMarginMs(timing: LeaseTiming): number {
  return Math.max(250, Math.ceil(timing.leaseDurationMs / 20));
}

/** After this long without a new acknowledgement, every resource of every group must be stopped. */
export function selfFenceDeadlineMs(timing: LeaseTiming): number {
  return timing.leaseDurationMs - agentMarginMs(timing);
}

/**
 * After this long without a new acknowledgement, the agent begins stopping a group whose resources
 * need `stopBudgetMs` to stop (see {@link groupStopBudgetMs}).
 */
export function selfFenceStartMs(timing: LeaseTiming, stopBudgetMs: number): number {
  return selfFenceDeadlineMs(timing) - stopBudgetMs;
}

/**
 * Heartbeats the agent may lose in a row without stopping anything: one. The stop of a group may
 * therefore begin no sooner than three intervals after the last acknowledged heartbeat was sent
 * (the next is sent one interval later, lost; the one after that is answered within its timeout,
 * before the third interval ends).
 */
export const TOLERATED_LOST_HEARTBEATS = 1;

/** The largest stop budget a group may have under this timing. */
export function maxStopBudgetMs(timing: LeaseTiming): number {
  return selfFenceDeadlineMs(timing) - (TOLERATED_LOST_HEARTBEATS + 2) * timing.heartbeatIntervalMs;
}

/**
 * Time a group's agent-side resources need to stop when the node self-fences: they stop one after
 * another in reverse dependency order, each within its `stopTimeoutMs`, so the budget is the sum.
 */
export function groupStopBudgetMs(stopTimeoutsMs: readonly number[]): number {
  return stopTimeoutsMs.reduce((sum, t) => sum + t, 0);
}
