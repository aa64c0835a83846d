import type { ClusterIndex } from "../cluster-index.js";
import { silenceLimitMs, takeoverGraceMs } from "../controller/timing.js";
import { type GroupId, isAgentResource, type NodeId } from "../definition/types.js";
import type { Heartbeat } from "./message.js";
import type { GroupOwnership, PeerLiveness } from "./store.js";

export type { PeerLiveness } from "./store.js";

/**
 * How many peers each node's heartbeats watch: the next ones in the definition's order, round the ring. Two, so a
 * node's silence is noticed even when one of its watchers is down too; O(1) per heartbeat at any cluster size.
 */
export const WATCHED_PEERS = 2;

/**
 * Up to this many nodes, every node watches every other: a failed node is then noticed by any survivor (with two
 * watchers each, a node whose two watchers are down too waited for the scheduled minute, past the detection bound:
 * seed 355166464, schedules 1047 and one other, of `npm run sim`). At 8 nodes a heartbeat reads 7 small peer items.
 */
export const WATCH_ALL_UP_TO = 8;

/** Why a heartbeat wakes the controller. */
export type WakeReason =
  | { readonly kind: "peer-silent"; readonly nodeId: NodeId }
  | { readonly kind: "report"; readonly groupId: GroupId }
  | { readonly kind: "node-trouble"; readonly nodeId: NodeId; readonly why: string };

/**
 * The peers `nodeId`'s heartbeats watch: every other node in a cluster of up to {@link WATCH_ALL_UP_TO} nodes, else
 * the next {@link WATCHED_PEERS} nodes of the definition, round the ring.
 */
export function watchedPeers(index: ClusterIndex, nodeId: NodeId): NodeId[] {
  const nodes = index.definition.nodes;
  const at = nodes.findIndex((n) => n.id === nodeId);
  if (at < 0) return [];
  const peers: NodeId[] = [];
  for (let step = 1; step <= (nodes.length <= WATCH_ALL_UP_TO ? nodes.length - 1 : WATCHED_PEERS); step++) {
    peers.push(nodes[(at + step) % nodes.length]!.id);
  }
  return peers;
}

/**
 * When the controller takes a peer seen with `peer`'s last heartbeat for down: its silence limit (lease + grace) after
 * that heartbeat was received, or grace after the longest lease granted to it, whichever is later. A later heartbeat
 * of the peer only moves it later (`leaseUntil` never goes back), so before it no read of the peer can find it down.
 */
export function peerDownAt(index: ClusterIndex, peer: PeerLiveness): number {
  const timing = index.definition.timing;
  return Math.max(peer.receivedAt + silenceLimitMs(timing), (peer.leaseUntil ?? -Infinity) + takeoverGraceMs(timing));
}

/**
 * Whether this heartbeat should wake the controller now, and why (first reason found), by the heartbeat function's
 * clock (the same clock that stamped the peers' receipt times):
 * - a watched peer has been silent longer than the controller waits (lease + grace, or its longest granted lease +
 *   grace), and not for long: within `recentMs` of that moment. A long-dead node does not wake it again and again;
 *   the scheduled pass is the backstop for whatever a wake-up missed;
 * - the node owns a group on the move (status neither `online`, `offline` nor `failed`) and this heartbeat reports
 *   every agent-side resource the controller wants online as online: the report an in-flight move waits for;
 * - the heartbeat itself says the controller has work: it is leaving, reports a resource `failed` (its restarts
 *   exhausted) or `fenced` (its agent lost its lease: its answers do not arrive), or does not name, in its `epochs`,
 *   a group with agent resources the node owns (a boot that was never told of it; the controller moves the group
 *   once that has lasted lease + grace, so such heartbeats wake it every tick until then).
 * Deciding only: the caller deduplicates (one wake-up per controller tick for the whole cluster) and invokes.
 */
export function wakeReason(
  index: ClusterIndex,
  heartbeat: Heartbeat,
  now: number,
  peers: ReadonlyMap<NodeId, PeerLiveness>,
  ownership: ReadonlyMap<GroupId, GroupOwnership>,
  recentMs: number,
): WakeReason | undefined {
  for (const [nodeId, peer] of peers) {
    const downAt = peerDownAt(index, peer);
    if (now > downAt && now - downAt <= recentMs) return { kind: "peer-silent", nodeId };
  }
  if (heartbeat.leaving === true) return { kind: "node-trouble", nodeId: heartbeat.nodeId, why: "leaving" };
  for (const [id, state] of Object.entries(heartbeat.resources)) {
    if (state === "failed" || state === "fenced")
      return { kind: "node-trouble", nodeId: heartbeat.nodeId, why: `${id} ${state}` };
  }
  for (const [groupId, group] of ownership) {
    if (group.owner !== heartbeat.nodeId) continue;
    if (
      !Object.hasOwn(heartbeat.epochs ?? {}, groupId) &&
      index.group(groupId)?.resources.some(isAgentResource) === true
    ) {
      return { kind: "node-trouble", nodeId: heartbeat.nodeId, why: `not told of ${groupId}` };
    }
    if (group.status === null || group.status === "online" || group.status === "offline" || group.status === "failed")
      continue;
    const wanted = Object.entries(group.desired).filter(([, state]) => state === "online");
    if (wanted.length > 0 && wanted.every(([id]) => heartbeat.resources[id] === "online")) {
      return { kind: "report", groupId };
    }
  }
  return undefined;
}
