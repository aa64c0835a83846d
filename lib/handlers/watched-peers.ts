import type { ClusterIndex } from "../core/cluster-index.js";
import type { NodeId } from "../core/definition/types.js";
import { type PeerLiveness, peerDownAt } from "../core/heartbeat/wake.js";

/**
 * What this execution environment last read of each watched peer: the moment the controller would take it for down
 * (`peerDownAt`). Until then no read of the peer can find it down (a later heartbeat only moves that moment later),
 * so a heartbeat reads only the peers whose moment has come, or that it has not read yet: each peer is read about
 * once per lease + grace per environment, instead of by each of its watchers on each of their heartbeats. Detection
 * is unchanged: the first heartbeat after a silent peer's moment reads it, as before. Only wake-ups depend on it; a
 * new environment starts empty and reads every peer once.
 */
export class WatchedPeers {
  private readonly downAt = new Map<NodeId, number>();

  constructor(private readonly index: ClusterIndex) {}

  /** Of `peers`, those to read at `now`: not read yet, or past their last read's down moment (as `wakeReason`). */
  due(peers: readonly NodeId[], now: number): NodeId[] {
    return peers.filter((id) => (this.downAt.get(id) ?? -Infinity) < now);
  }

  /**
   * Keeps each read peer's down moment. An eventually consistent read that returns an older item gives a moment
   * already past (only due peers are read), so the peer is read again on the next heartbeat.
   */
  remember(read: ReadonlyMap<NodeId, PeerLiveness>): void {
    for (const [id, peer] of read) this.downAt.set(id, peerDownAt(this.index, peer));
  }
}
