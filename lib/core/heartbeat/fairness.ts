/**
 * Per-node fairness (docs/protocol.md, "Too many heartbeats"): a node that heartbeats far faster
 * than its interval is refused before anything is written, so a flooding node costs no table
 * capacity and cannot crowd out the other nodes' writes.
 *
 * A token bucket per node: it holds at most `nodeBurst` heartbeats and refills at
 * `nodeHeartbeatsPerInterval` per heartbeat interval. A well-behaved agent sends one heartbeat per
 * interval, one at a time, so its bucket stays nearly full and it is never refused; a node sending
 * 100 heartbeats a second gets `nodeHeartbeatsPerInterval` of them recorded per interval.
 *
 * Pure: the caller keeps the buckets (in the handler's memory) and gives the time.
 */
import { HEARTBEAT_CAPACITY as C } from "../definition/limits.js";

export interface TokenBucket {
  /** Heartbeats the node may still send at once (fractional while it refills). */
  readonly tokens: number;
  /** When `tokens` was counted (the handler's clock, epoch ms). */
  readonly at: number;
}

export interface NodeAllowance {
  /** Tokens added per millisecond. */
  readonly perMs: number;
  /** Most tokens a bucket holds; a node seen for the first time starts full. */
  readonly burst: number;
}

export type FairnessDecision =
  | { readonly admitted: true; readonly bucket: TokenBucket }
  | { readonly admitted: false; readonly bucket: TokenBucket; readonly retryAfterMs: number };

/** What one node may send, for the cluster's heartbeat interval. */
export function nodeAllowance(heartbeatIntervalMs: number): NodeAllowance {
  return { perMs: C.nodeHeartbeatsPerInterval / heartbeatIntervalMs, burst: C.nodeBurst };
}

/**
 * Takes one token for a heartbeat received at `now`, if the node has one. A clock that went back
 * adds nothing (and is not held against the node).
 */
export function takeHeartbeatToken(
  bucket: TokenBucket | undefined,
  now: number,
  allowance: NodeAllowance,
): FairnessDecision {
  const elapsed = bucket === undefined ? 0 : Math.max(0, now - bucket.at);
  const available =
    bucket === undefined ? allowance.burst : Math.min(allowance.burst, bucket.tokens + elapsed * allowance.perMs);
  const at = bucket === undefined ? now : Math.max(bucket.at, now);
  if (available >= 1) return { admitted: true, bucket: { tokens: available - 1, at } };
  return {
    admitted: false,
    bucket: { tokens: available, at },
    retryAfterMs: Math.ceil((1 - available) / allowance.perMs),
  };
}
