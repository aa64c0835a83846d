import type { AgentResourceSpec } from "../agent/spec.js";
import type { ClusterIndex } from "../cluster-index.js";
import { dictionary, ownValue } from "../dictionary.js";
import {
  type ClusterDefinition,
  type GroupDefinition,
  isAgentResource,
  type GroupId,
  type NodeId,
  type ResourceId,
} from "../definition/types.js";
import { agentResourceSpecs } from "./agent-resources.js";
import type { Heartbeat } from "./message.js";
import type { GroupOwnership } from "./store.js";

/** The 200 answer: everything a node behind NAT learns from its own outbound heartbeat. */
export interface HeartbeatAnswer {
  readonly cluster: string;
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  /** When the heartbeat function received it, by its own clock (ISO 8601). */
  readonly receivedAt: string;
  readonly leaseDurationMs: number;
  readonly heartbeatIntervalMs: number;
  /** Every group the node may own, in definition order, then any other it names in its `epochs` (`groupsAnswered`). */
  readonly groups: readonly GroupAnswer[];
}

export interface GroupAnswer {
  readonly id: GroupId;
  /** The current owner; null: none. */
  readonly owner: NodeId | null;
  /** The fencing token. */
  readonly epoch: number;
  /**
   * What this node's agent must do with each of the group's agent-side resources (mount, systemd,
   * command): the controller's desired states when the node owns the group, all "offline" otherwise.
   * A resource the controller has not named yet is "offline". All "offline" in the answer to a
   * leaving heartbeat.
   */
  readonly resources: Readonly<Record<ResourceId, "online" | "offline">>;
  /** How to run each of those resources, in start order (from the definition only). */
  readonly agentResources: readonly AgentResourceSpec[];
}

/**
 * The lease an answer grants (`leaseDurationMs`). The heartbeat function records it on the node item with the
 * heartbeat, so that a later deploy with a shorter lease still waits out the one this answer gave.
 */
export function grantedLeaseMs(definition: ClusterDefinition): number {
  return definition.timing.leaseDurationMs;
}

/**
 * The groups a heartbeat is answered about: those that list the node among their preferred owners, then any other
 * group of the definition that the heartbeat names in its `epochs` (the agent has obeyed an answer for it: a deploy
 * took the node out of its preferredOwners) or one of whose resources it reports in a state other than `offline`
 * (a deploy moved the resource into a group the node may not own). The node is told to stop such a group and can
 * confirm the stop under the epoch of the move away from it.
 */
export function groupsAnswered(index: ClusterIndex, heartbeat: Heartbeat): readonly GroupDefinition[] {
  const ownable = index.groupsOwnableBy(heartbeat.nodeId);
  const epochs = heartbeat.epochs ?? {};
  const runs = (g: GroupDefinition) =>
    g.resources.some((r) => (ownValue(heartbeat.resources, r.id) ?? "offline") !== "offline");
  const named = index.definition.groups.filter(
    (g) => !ownable.includes(g) && (ownValue(epochs, g.id) !== undefined || runs(g)),
  );
  return named.length > 0 ? [...ownable, ...named] : ownable;
}

export function answerFor(
  index: ClusterIndex,
  heartbeat: Heartbeat,
  receivedAt: number,
  ownership: ReadonlyMap<GroupId, GroupOwnership>,
  groups: readonly GroupDefinition[] = groupsAnswered(index, heartbeat),
): HeartbeatAnswer {
  const { definition } = index;
  return {
    cluster: definition.cluster,
    nodeId: heartbeat.nodeId,
    bootId: heartbeat.bootId,
    seq: heartbeat.seq,
    receivedAt: new Date(receivedAt).toISOString(),
    leaseDurationMs: grantedLeaseMs(definition),
    heartbeatIntervalMs: definition.timing.heartbeatIntervalMs,
    groups: groups.map((group) => {
      const state = ownership.get(group.id);
      const owner = state?.owner ?? null;
      // A leaving node has stopped everything and is shutting down: it is never asked to start anything; nor is a
      // node the definition no longer lists among the group's preferred owners, even while it is still its owner.
      const runs =
        owner === heartbeat.nodeId && heartbeat.leaving !== true && group.preferredOwners.includes(heartbeat.nodeId);
      const resources = dictionary<"online" | "offline">();
      for (const resource of group.resources) {
        if (!isAgentResource(resource)) continue;
        resources[resource.id] =
          runs && state !== undefined ? (ownValue(state.desired, resource.id) ?? "offline") : "offline";
      }
      return { id: group.id, owner, epoch: state?.epoch ?? 0, resources, agentResources: agentResourceSpecs(group) };
    }),
  };
}
