import type { ClusterIndex } from "../cluster-index.js";
import type { GroupId, NodeId } from "../definition/types.js";
import type { Heartbeat } from "./message.js";
import type { GroupOwnership } from "./store.js";

/** The 200 answer: everything a node behind NAT learns from its own outbound heartbeat. */
export interface HeartbeatAcknowledgement {
  readonly cluster: string;
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  /** When the heartbeat function received it, by its own clock (ISO 8601). */
  readonly receivedAt: string;
  readonly leaseDurationMs: number;
  readonly heartbeatIntervalMs: number;
  /** Every group the node may own: its current owner (null: none) and epoch (the fencing token). */
  readonly groups: readonly { readonly id: GroupId; readonly owner: NodeId | null; readonly epoch: number }[];
}

export function acknowledge(
  index: ClusterIndex,
  heartbeat: Heartbeat,
  receivedAt: number,
  ownership: ReadonlyMap<GroupId, GroupOwnership>,
): HeartbeatAcknowledgement {
  const { definition } = index;
  return {
    cluster: definition.cluster,
    nodeId: heartbeat.nodeId,
    bootId: heartbeat.bootId,
    seq: heartbeat.seq,
    receivedAt: new Date(receivedAt).toISOString(),
    leaseDurationMs: definition.timing.leaseDurationMs,
    heartbeatIntervalMs: definition.timing.heartbeatIntervalMs,
    groups: index.groupsOwnableBy(heartbeat.nodeId).map((group) => {
      const state = ownership.get(group.id);
      return { id: group.id, owner: state?.owner ?? null, epoch: state?.epoch ?? 0 };
    }),
  };
}
