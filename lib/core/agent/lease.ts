/**
 * The node's lease as its agent counts it (docs/agent.md, docs/safety.md): from the moment it SENT
 * the newest heartbeat that got a valid 200 answer, on its monotonic clock, for the duration that
 * answer gave. Pure arithmetic on times; the formulas are `lib/core/self-fencing.ts`'s.
 */
import { groupStopBudgetMs, type LeaseTiming, selfFenceDeadlineMs, selfFenceStartMs } from "../self-fencing.js";

/** The part of the timing a heartbeat answer carries. */
export type { LeaseTiming };

export interface Lease {
  /** Monotonic time at which the newest acknowledged heartbeat was sent. */
  readonly ackedSentAt: number;
  /** The timing of the answer that acknowledged it. */
  readonly timing: LeaseTiming;
}

/** Heartbeat interval used until the first valid answer gives the cluster's. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * The lease after an acknowledgement of the heartbeat sent at `sentAt`. A late acknowledgement
 * counts from its send, never from its arrival, and an older send never moves the lease back.
 */
export function renewLease(lease: Lease | undefined, sentAt: number, timing: LeaseTiming): Lease {
  if (lease !== undefined && sentAt < lease.ackedSentAt) return lease;
  return {
    ackedSentAt: sentAt,
    timing: { leaseDurationMs: timing.leaseDurationMs, heartbeatIntervalMs: timing.heartbeatIntervalMs },
  };
}

/** When every resource of every group must be stopped; -Infinity without a lease. */
export function selfFenceDeadlineAt(lease: Lease | undefined): number {
  if (lease === undefined) return -Infinity;
  return lease.ackedSentAt + selfFenceDeadlineMs(lease.timing);
}

/**
 * When the agent must begin stopping a group whose resources have these stop timeouts (they stop
 * one after another, so in time for the deadline); -Infinity without a lease.
 */
export function groupFenceStartAt(lease: Lease | undefined, stopTimeoutsMs: readonly number[]): number {
  if (lease === undefined) return -Infinity;
  return lease.ackedSentAt + selfFenceStartMs(lease.timing, groupStopBudgetMs(stopTimeoutsMs));
}

/** Whether the group must be stopping at `now` for want of a renewed lease. */
export function isGroupFenced(lease: Lease | undefined, stopTimeoutsMs: readonly number[], now: number): boolean {
  return now >= groupFenceStartAt(lease, stopTimeoutsMs);
}

/** The heartbeat interval in force: the last valid answer's, else the default. */
export function heartbeatIntervalOf(lease: Lease | undefined): number {
  return lease?.timing.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
}
