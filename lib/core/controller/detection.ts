import type { GroupRecord, NodeAdmin, NodeReport, ReportCondition } from "./records.js";
import type { ClusterDefinition, GroupDefinition, GroupId, NodeId, ResourceId, Timing } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import { ownValue } from "../dictionary.js";
import { takeoverGraceMs } from "./timing.js";

export interface NodeHealth {
  readonly nodeId: NodeId;
  readonly up: boolean;
  /**
   * Lease + grace have passed since the longest lease any answer granted it (`heldUntil`), by AWS-side clocks:
   * its agent has stopped everything it ran (self-fencing). Only then is its silence taken as a stop. A leaving
   * node is not up from its leaving heartbeat on, but its lease is over only later. True when never heard.
   */
  readonly leaseOver: boolean;
  /** Receipt time of the last accepted heartbeat (heartbeat function's clock); null: never heard. */
  readonly lastHeardAt: number | null;
  /** When the node's current boot was first heard, while it is up. */
  readonly upSince: number | null;
  /** Resources the node reports `failed` (local restarts exhausted). */
  readonly failedResources: readonly ResourceId[];
  /**
   * Resources the node reports `fenced`: its agent lost its lease (its heartbeats arrive, its answers do
   * not), stopped them and will not start them again under the epoch it knows. An owner has lost them.
   */
  readonly fencedResources: readonly ResourceId[];
  /**
   * Resources its latest report lists in any state but `offline` (running, starting, stopping, failed, or
   * fenced): it may still run them, or has not confirmed their stop under a move. A group placed anew
   * (renamed, or its resources moved from another group) frees such a node first.
   */
  readonly activeResources: readonly ResourceId[];
  /**
   * Its last heartbeat said it is leaving (a planned shutdown): it stopped every resource and will
   * send nothing more in this boot. Such a node is not up, from that heartbeat on.
   */
  readonly leaving: boolean;
  /**
   * Groups the node may own of which its current boot has been told nothing (not in its heartbeat's `epochs`,
   * none of their resources reported), although that boot has been heard for longer than the longest lease
   * it may hold plus grace: its heartbeats arrive, its answers do not (or it could not use them). Such a boot
   * runs nothing of those groups, whatever the table says. Only groups with agent resources (nothing of the
   * others runs on a node, and an agent older than `epochs` names no group). Empty while the node is not up.
   */
  readonly untoldGroups: readonly GroupId[];
  /**
   * Its answers do not reach it, as far as its reports show: its boot has never been told of a group it may own
   * (`untoldGroups`), or it reports resources `fenced` of a group the table gives to another node (it never
   * heard of the move) or of an `online` group it owns (it lost its lease with its heartbeats arriving). Not
   * for a group moving to it: a node that self-fenced under the move's epoch and hears its answers again stays
   * blocked for that group under that epoch, but hears them. Such a node is up, but cannot take a group.
   */
  readonly answersLost: boolean;
  /**
   * Groups it may own that it could take only slowly, while it is up: it missed a heartbeat (last heard more than
   * two intervals ago: it may be cut off), or its boot has not yet obeyed an answer for the group (just started,
   * or still stopping what its last boot left: its `epochs` do not name the group), or one of the group's agent
   * resources is failed or under way there. A move prefers a node that is ready (`chooseTarget`). Empty while the
   * node is not up.
   */
  readonly unreadyGroups: readonly GroupId[];
  /**
   * Groups the table gives to it, `online`, that its current boot does not run as their owner: its `epochs` do not
   * name the group (a boot not yet told of it: an agent restart, its answers lost or not yet come), or one of the
   * group's agent resources is not reported `online` there (starting, stopping for a restart, restarting after a
   * failed check). A failback, a planned move that needs its source's word, waits while its source is unsettled
   * (`failBack` in group-decision.ts). Empty while the node is not up.
   */
  readonly unsettledGroups: readonly GroupId[];
  /**
   * The report this judgement rests on (boot and sequence of the node's last recorded heartbeat); null:
   * never heard. A write that moves a group because of what the node said is conditioned on it.
   */
  readonly report: ReportCondition | null;
  /**
   * An operator drained it (`baton drain`, docs/operations.md): it keeps heartbeating, its groups move off, no
   * group is placed, failed over or failed back onto it, and its silence is no failure (the guard does not count
   * it). Absent: not drained (health built without the admin items).
   */
  readonly drained?: boolean;
  /** Groups may not fail back to it (drained, or resumed without `--failback`). Absent: they may. */
  readonly failbackBlocked?: boolean;
}

/**
 * Who is up, by AWS-side clocks only: a node is up while its last heartbeat was received less
 * than lease + grace ago, as the heartbeat function stamped it and the controller's clock reads it,
 * and that heartbeat did not say the node is leaving. The lease is the longest the node may hold
 * (`heldUntil`), which after a deploy that shortened it is longer than the definition's. The map holds the
 * definition's nodes, then any node with a liveness item that the definition no longer holds (never up).
 */
export function assessNodes(
  definition: ClusterDefinition,
  liveness: ReadonlyMap<NodeId, NodeReport>,
  now: number,
  groups: ReadonlyMap<GroupId, Pick<GroupRecord, "owner" | "status">> = new Map(),
  admin: ReadonlyMap<NodeId, NodeAdmin> = new Map(),
): ReadonlyMap<NodeId, NodeHealth> {
  const known = new Set(definition.nodes.map((node) => node.id));
  // A node a deploy removed is never up (its heartbeats are refused), but its last answer's lease runs on: it is
  // judged from its liveness item like any node, so that a group it owned waits out that lease before it moves.
  const removed = [...liveness.keys()].filter((id) => !known.has(id));
  return new Map(
    [...known, ...removed].map((nodeId) => {
      const record = liveness.get(nodeId);
      const leaving = record?.leaving === true;
      const leaseOver = record === undefined || now > heldUntil(definition.timing, record);
      const up = record !== undefined && !leaving && !leaseOver && known.has(nodeId);
      const inState = (wanted: string) =>
        record
          ? Object.entries(record.resources)
              .filter(([, state]) => state === wanted)
              .map(([id]) => id)
          : [];
      const untoldGroups =
        up && record && now > bootHeardLongerThan(definition.timing, record)
          ? definition.groups
              .filter(
                (g) => g.preferredOwners.includes(nodeId) && g.resources.some(isAgentResource) && !toldOf(record, g),
              )
              .map((g) => g.id)
          : [];
      const unreadyGroups = up && record ? notReadyFor(definition, nodeId, record, now) : [];
      const unsettledGroups = up && record ? notRunning(definition, nodeId, record, groups) : [];
      const fenced = new Set(inState("fenced"));
      const deaf = definition.groups.some((g) => {
        if (!g.resources.some((r) => fenced.has(r.id))) return false;
        const held = groups.get(g.id);
        return held !== undefined && (held.owner !== nodeId || held.status === "online");
      });
      return [
        nodeId,
        {
          nodeId,
          up,
          leaseOver,
          lastHeardAt: record?.receivedAt ?? null,
          upSince: up ? (record?.bootStartedAt ?? null) : null,
          failedResources: inState("failed"),
          fencedResources: inState("fenced"),
          activeResources: record
            ? Object.entries(record.resources)
                .filter(([, state]) => state !== "offline")
                .map(([id]) => id)
            : [],
          leaving,
          untoldGroups,
          answersLost: up && (deaf || untoldGroups.length > 0),
          unreadyGroups,
          unsettledGroups,
          report: record ? { nodeId, bootId: record.bootId, seq: record.seq } : null,
          // Only when an operator said so: health without admin items keeps its shape.
          ...(admin.get(nodeId)?.drained === true ? { drained: true } : {}),
          ...(admin.has(nodeId) && admin.get(nodeId)?.failback !== true ? { failbackBlocked: true } : {}),
        },
      ];
    }),
  );
}

/** Resource states in which a node is busy with a resource, or it failed there: not a ready target for its group. */
const BUSY_STATES: ReadonlySet<string> = new Set(["starting", "stopping", "unknown", "failed", "online"]);

/** The groups an up node may own that it is not ready to take (see `NodeHealth.unreadyGroups`). */
function notReadyFor(definition: ClusterDefinition, nodeId: NodeId, record: NodeReport, now: number): GroupId[] {
  const stale = now - record.receivedAt > 2 * definition.timing.heartbeatIntervalMs;
  return definition.groups
    .filter((g) => g.preferredOwners.includes(nodeId))
    .filter((g) => {
      if (stale) return true;
      const agentIds = g.resources.filter(isAgentResource).map((r) => r.id);
      if (agentIds.length === 0) return false;
      // An agent older than `epochs` names no group: only its resource states tell.
      if (record.epochs !== undefined && ownValue(record.epochs, g.id) === undefined) return true;
      return agentIds.some((id) => BUSY_STATES.has(ownValue(record.resources, id) ?? "offline"));
    })
    .map((g) => g.id);
}

/** The `online` groups the table gives to the node that its boot does not run as told (`unsettledGroups`). */
function notRunning(
  definition: ClusterDefinition,
  nodeId: NodeId,
  record: NodeReport,
  groups: ReadonlyMap<GroupId, Pick<GroupRecord, "owner" | "status">>,
): GroupId[] {
  return definition.groups
    .filter((g) => {
      const held = groups.get(g.id);
      if (held?.owner !== nodeId || held.status !== "online") return false;
      const agentIds = g.resources.filter(isAgentResource).map((r) => r.id);
      if (agentIds.length === 0) return false;
      // An agent older than `epochs` names no group: only its resource states tell.
      if (record.epochs !== undefined && ownValue(record.epochs, g.id) === undefined) return true;
      return agentIds.some((id) => ownValue(record.resources, id) !== "online");
    })
    .map((g) => g.id);
}

/**
 * Until when (controller clock) the node may still hold its lease, grace included: the later of the end of the
 * definition's lease from its last heartbeat and the recorded end of the longest lease any answer granted it
 * (`leaseUntil`), plus the grace of the longer of the two leases. A deploy that shortens the lease thus waits out
 * the lease the old deploy granted (its grace too). With nothing recorded, lease + grace of the definition.
 */
function heldUntil(timing: Timing, record: NodeReport): number {
  const until = Math.max(record.receivedAt + timing.leaseDurationMs, record.leaseUntil ?? -Infinity);
  return until + longestLease(timing, record).grace;
}

/** The longest lease the node may hold (the definition's, or a longer one an answer granted) and its grace. */
function longestLease(timing: Timing, record: NodeReport): { readonly ms: number; readonly grace: number } {
  const ms = Math.max(timing.leaseDurationMs, record.leaseMs ?? 0);
  return { ms, grace: takeoverGraceMs({ ...timing, leaseDurationMs: ms }) };
}

/**
 * Until when (controller clock) a boot is given to be told of its groups: its first heartbeat's receipt plus
 * the longest lease the node may hold and its grace. By then an answer would have reached a boot whose answers
 * get through, and the boot before it (last heard before this boot's first heartbeat) has lost any lease it held.
 */
function bootHeardLongerThan(timing: Timing, record: NodeReport): number {
  const longest = longestLease(timing, record);
  return record.bootStartedAt + longest.ms + longest.grace;
}

/**
 * Whether the boot that made `record` has been told of `group`: an agent names every group an answer told it of
 * in its `epochs`, and reports each of the group's resources; an older agent (no `epochs`) reports them.
 */
export function toldOf(record: Pick<NodeReport, "epochs" | "resources">, group: GroupDefinition): boolean {
  if (ownValue(record.epochs, group.id) !== undefined) return true;
  return group.resources.some((r) => isAgentResource(r) && ownValue(record.resources, r.id) !== undefined);
}
