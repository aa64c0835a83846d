import type { ClusterIndex } from "../cluster-index.js";
import {
  AGENT_RESOURCE_TYPES,
  type GroupId,
  type NodeId,
  type ResourceDefinition,
  type ResourceId,
} from "../definition/types.js";
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
  /** Every group the node may own, in definition order. */
  readonly groups: readonly GroupAcknowledgement[];
}

export interface GroupAcknowledgement {
  readonly id: GroupId;
  /** The current owner; null: none. */
  readonly owner: NodeId | null;
  /** The fencing token. */
  readonly epoch: number;
  /**
   * What this node's agent must do with each of the group's agent-side resources (mount, systemd,
   * command): the controller's desired states when the node owns the group, all "offline" otherwise.
   * A resource the controller has not named yet is "offline".
   */
  readonly resources: Readonly<Record<ResourceId, "online" | "offline">>;
}

const AGENT_TYPES: ReadonlySet<ResourceDefinition["type"]> = new Set(AGENT_RESOURCE_TYPES);

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
      const owner = state?.owner ?? null;
      const owned = owner === heartbeat.nodeId;
      const resources: Record<ResourceId, "online" | "offline"> = {};
      for (const resource of group.resources) {
        if (!AGENT_TYPES.has(resource.type)) continue;
        resources[resource.id] = owned ? (state?.desired[resource.id] ?? "offline") : "offline";
      }
      return { id: group.id, owner, epoch: state?.epoch ?? 0, resources };
    }),
  };
}
