import type { ClusterDefinition, GroupDefinition, GroupId, NodeId } from "../definition/types.js";
import type { NodeHealth } from "./detection.js";
import type { GroupRecord } from "./records.js";
import { STEP_LIMITS, silenceLimitMs } from "./timing.js";

/** What the cluster looks like at one pass, as the gauges report it (`CONTROLLER_METRICS`). */
export interface ClusterGauges {
  readonly nodesUp: number;
  readonly nodesDown: number;
  readonly nodesDrained: number;
  readonly groupsOnline: number;
  readonly groupsMoving: number;
  readonly groupsOffline: number;
  readonly groupsFailed: number;
  readonly groupsOverdue: number;
  readonly guardFrozen: 0 | 1;
  readonly oldestHeartbeatAgeMs: number;
  readonly longestMoveMs: number;
  /** Per node of the definition: down and not drained. */
  readonly nodeDown: Readonly<Record<NodeId, 0 | 1>>;
}

/** A drained node (taken out of service by an operator, `baton drain`) is neither up nor down. */
export function isDrained(health: NodeHealth): boolean {
  return health.drained === true;
}

/**
 * The longest a group should take to be online again after it left: its owner's silence is noticed
 * (lease + grace), two controller ticks, the fence when it has one, then every resource stopped on the source
 * and started on the target within its pending timeout. A group not online for longer is "overdue".
 */
export function failoverBoundMs(definition: ClusterDefinition, group: GroupDefinition): number {
  const { timing } = definition;
  const fence = group.fencing === "stop-instance" ? STEP_LIMITS.fenceTimeoutMs : 0;
  const resources = group.resources.reduce((sum, r) => sum + 2 * r.pendingTimeoutMs, 0);
  return silenceLimitMs(timing) + 2 * timing.controllerTickMs + fence + resources;
}

/** The gauges of one pass, from what it read (`members`: the definition's nodes) and the groups as it left them. */
export function clusterGauges(
  definition: ClusterDefinition,
  members: ReadonlyMap<NodeId, NodeHealth>,
  groups: ReadonlyMap<GroupId, GroupRecord>,
  guard: { readonly frozen: boolean },
  now: number,
): ClusterGauges {
  const { frozen } = guard;
  const nodes = [...members.values()];
  // A drained node keeps heartbeating, and may be shut down: counted as drained either way, never up or down.
  const up = nodes.filter((h) => h.up && !isDrained(h));
  const drained = nodes.filter((h) => isDrained(h));
  const down = nodes.filter((h) => !h.up && !isDrained(h));
  const counts = { online: 0, moving: 0, offline: 0, failed: 0 };
  let overdue = 0;
  let longestMoveMs = 0;
  for (const group of definition.groups) {
    const record = groups.get(group.id);
    const status = record?.status ?? "offline";
    counts[status]++;
    if (record === undefined) continue;
    if (status !== "online" && now - record.since > failoverBoundMs(definition, group)) overdue++;
    if (status === "moving" && record.plan !== null)
      longestMoveMs = Math.max(longestMoveMs, now - record.plan.startedAt);
  }
  const heard = up.map((h) => h.lastHeardAt).filter((at): at is number => at !== null);
  return {
    nodesUp: up.length,
    nodesDown: down.length,
    nodesDrained: drained.length,
    groupsOnline: counts.online,
    groupsMoving: counts.moving,
    groupsOffline: counts.offline,
    groupsFailed: counts.failed,
    groupsOverdue: overdue,
    guardFrozen: frozen ? 1 : 0,
    oldestHeartbeatAgeMs: heard.length === 0 ? 0 : Math.max(0, now - Math.min(...heard)),
    longestMoveMs: Math.max(0, longestMoveMs),
    nodeDown: Object.fromEntries(nodes.map((h) => [h.nodeId, !h.up && !isDrained(h) ? 1 : 0])),
  };
}
