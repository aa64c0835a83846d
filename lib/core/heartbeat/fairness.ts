/**
 * Per-node fairness (docs/protocol.md, "Too many heartbeats"): a node that heartbeats far faster
 * than its interval is refused before anything is written, so a flooding node costs no table
 * capacity and cannot crowd out the other nodes' writes.
 *
 * A token bucket per node, kept as the time it would be full again (the generic cell rate
 * algorithm: exact in whole milliseconds, no drift): it holds at most `nodeBurst` heartbeats and
 * refills at `nodeHeartbeatsPerInterval` per heartbeat interval. A well-behaved agent sends one
 * heartbeat per interval, one at a time, so its bucket stays nearly full and it is never refused;
 * a node sending 100 heartbeats a second gets `nodeHeartbeatsPerInterval` of them recorded per
 * interval, after the first `nodeBurst`.
 *
 * Pure: the caller keeps the buckets (in the handler's memory) and gives the time.
 */
import { HEARTBEAT_CAPACITY as C } from "../definition/limits.js";

export interface TokenBucket {
  /** When the bucket is full again if no further heartbeat comes (the handler's clock, epoch ms). */
  readonly fullAt: number;
  /** The latest time it was given: a clock that goes back is read as this. */
  readonly seenAt: number;
}

export interface NodeAllowance {
  /** One token is added every this many milliseconds: the interval / `nodeHeartbeatsPerInterval` (exact). */
  readonly spacingMs: number;
  /** Most tokens a bucket holds; a node seen for the first time starts full. */
  readonly burst: number;
}

export type FairnessDecision =
  | { readonly admitted: true; readonly bucket: TokenBucket }
  | { readonly admitted: false; readonly bucket: TokenBucket; readonly retryAfterMs: number };

/** What one node may send, for the cluster's heartbeat interval. */
export function nodeAllowance(heartbeatIntervalMs: number): NodeAllowance {
  return { spacingMs: heartbeatIntervalMs / C.nodeHeartbeatsPerInterval, burst: C.nodeBurst };
}

/**
 * Takes one token for a heartbeat received at `now`, if the node has one (at least one token is
 * left when the bucket is full again within `burst - 1` spacings). A clock that went back adds
 * nothing, and is not held against the node either.
 */
export function takeHeartbeatToken(
  bucket: TokenBucket | undefined,
  now: number,
  allowance: NodeAllowance,
): FairnessDecision {
  const at = Math.max(now, bucket?.seenAt ?? now);
  const fullAt = Math.max(at, bucket?.fullAt ?? at);
  const latestAdmitted = at + (allowance.burst - 1) * allowance.spacingMs;
  if (fullAt <= latestAdmitted) return { admitted: true, bucket: { fullAt: fullAt + allowance.spacingMs, seenAt: at } };
  return { admitted: false, bucket: { fullAt, seenAt: at }, retryAfterMs: fullAt - latestAdmitted };
}
