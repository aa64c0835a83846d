import type { NodeId } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import { ownValue } from "../dictionary.js";
import type { NodeHealth } from "./detection.js";
import { failbackAllowedAt } from "./failback-window.js";
import { catchUp, type GroupContext, type GroupDecision, NONE, start, wait } from "./group-moves.js";
import { chooseTarget, mostPreferred, retire } from "./plan-builder.js";
import { transition } from "./status.js";
import { failbackSettleMs } from "./timing.js";

/**
 * What to do with a group this pass, before any running plan takes its next step: place it, fail it
 * over, fail it back, leave it failed, or nothing. A change of owner raises the epoch by one and
 * carries the whole plan, in one conditional write.
 */
export function decideGroup(ctx: GroupContext): GroupDecision {
  const { record, health, group } = ctx;
  // Left for an operator (docs/operations.md), even with a plan an older controller left in it.
  if (record.status === "failed") return NONE;
  if (record.plan) {
    // A plan continues while its target is up. If the target went silent, it may already hold
    // part of the group: move on from it like from any failed owner. The sources the plan had not
    // yet freed are inherited by the plan that replaces it (see `start`).
    const target = health.get(record.plan.target);
    if (target?.up === true || ctx.frozen) return NONE;
    if (target?.leaving === true) {
      // Its agent is leaving (`systemctl restart baton-agent`, a planned reboot) in the middle of the move: as
      // for a leaving owner, its leaving heartbeat confirms (or not) each resource stopped, so it is awaited and
      // fenced only if it did not confirm; a planned restart must not stop the instance (which may be the only
      // node left for other groups). The move rests on that leaving report (see the owner's case below).
      return onLeaving(
        failOver(ctx, record.plan.target, {
          sourceAlive: true,
          reason: `target ${record.plan.target} is leaving during the move`,
          planned: true,
        }),
        target,
      );
    }
    return onSilence(
      failOver(ctx, record.plan.target, {
        sourceAlive: false,
        reason: `target ${record.plan.target} went silent during the move`,
      }),
      target,
    );
  }
  if (ctx.frozen) return NONE;

  if (record.owner === null) {
    const target = chooseTarget(group, health, null);
    if (target === null) return wait(ctx, "no preferred owner is up");
    return start(ctx, {
      kind: "place",
      source: null,
      sourceAlive: false,
      target,
      reason: "placing the group on its most preferred node that is up",
    });
  }

  const owner = health.get(record.owner);
  if (owner?.leaving === true) {
    // Its agent stopped the group's resources before it said so: move at once, without fencing,
    // and without holding it against the node (it may have the group back when it returns). The move
    // rests on that leaving report: if the node has reported again since (its agent restarted, a new
    // boot that may have been told to run the group), the write fails and the next pass judges anew.
    return onLeaving(
      failOver(ctx, record.owner, {
        sourceAlive: true,
        reason: `node ${record.owner} is leaving (planned shutdown)`,
        planned: true,
      }),
      owner,
    );
  }
  if (owner?.up !== true) {
    const heard = owner?.lastHeardAt ? `since ${new Date(owner.lastHeardAt).toISOString()}` : "never heard";
    return onSilence(
      failOver(ctx, record.owner, { sourceAlive: false, reason: `node ${record.owner} is silent (${heard})` }),
      owner,
    );
  }
  if (!group.preferredOwners.includes(record.owner) && (record.status === "online" || record.status === "offline")) {
    // A deploy took the owner out of the group's preferred owners: its answers tell it to stop the group (and
    // still list the group, so that it confirms the stop). Move the group to a preferred owner, like a planned
    // drain (not counted against the threshold); with none up, leave it where it is.
    if (chooseTarget(group, health, record.owner) === null) return NONE;
    return failOver(ctx, record.owner, {
      sourceAlive: true,
      reason: `node ${record.owner} is no longer a preferred owner of the group`,
      planned: true,
    });
  }
  if (owner.drained === true && record.status === "online") {
    // An operator drained it (`baton drain`): a planned move, like a leaving node's but with the owner alive and
    // cooperating (it stops in reverse order and confirms; fenced only if it stops confirming), neither counted
    // against the threshold nor held against the node. With no other node to take it, it stays.
    if (chooseTarget(group, health, record.owner) === null) return NONE;
    return failOver(ctx, record.owner, { sourceAlive: true, reason: `node ${record.owner} is drained`, planned: true });
  }
  const alarm = ctx.alarms?.find((a) => a.node === null || a.node === record.owner);
  if (alarm !== undefined && record.status === "online") {
    // A user's alarm says the owner (or the group's application on it) is sick before its heartbeats stop: move now,
    // as for a failed resource: the live owner is asked to stop the group and fenced if it does not confirm; counted
    // against the threshold, and not failed back to within the failover period. An alarm about another node (the
    // group has moved since, or it names a node that does not own it) asks nothing.
    return failOver(ctx, record.owner, {
      sourceAlive: true,
      reason: `alarm ${alarm.alarm} is in ALARM${alarm.node === null ? "" : ` for ${alarm.node}`} (alarm-driven failover)`,
    });
  }
  const agentIds = new Set(group.resources.filter(isAgentResource).map((r) => r.id));
  const failed = owner.failedResources.filter((id) => agentIds.has(id));
  if (failed.length > 0 && record.status === "online") {
    return failOver(ctx, record.owner, {
      sourceAlive: true,
      reason: `resource ${failed.join(", ")} failed on ${record.owner}`,
    });
  }
  const fenced = owner.fencedResources.filter((id) => agentIds.has(id));
  if (fenced.length > 0 && record.status === "online") {
    // Its agent lost its lease while its heartbeats still arrive (its answers are lost): it stopped the group
    // and will not start it again under this epoch. Its fenced report confirms the stop, so the group moves at
    // once; and it is held against the node (no failback within the failover period), which looks up while
    // its answers are still lost and would otherwise be given the group straight back.
    return failOver(ctx, record.owner, {
      sourceAlive: true,
      reason: `node ${record.owner} stopped ${fenced.join(", ")} on losing its lease (its heartbeats arrive, its answers do not)`,
    });
  }
  if (owner.untoldGroups.includes(group.id) && record.status === "online") {
    // Its heartbeats arrive, but its current boot, heard for longer than a lease and its grace, has never been
    // told of the group (its answers are lost: an agent restarted into a one-way partition): it runs nothing of
    // it. The move rests on this exact report being the node's latest, and its await-offline steps complete
    // only on a later report of the same boot still told nothing: the answer to this report, the last that
    // could give it the group, then never reached it. Held against the node, like a fenced owner.
    return onUntold(
      failOver(ctx, record.owner, {
        sourceAlive: true,
        reason: `node ${record.owner} heartbeats, but its boot heard since ${new Date(owner.upSince ?? 0).toISOString()} has never been told of the group (its answers do not arrive)`,
      }),
      owner,
    );
  }
  if (record.status === "online") {
    // A deploy added agent resources: the owner is told them offline (the desired states name only those the last
    // plan started), and stops what depends on them. Bring the group to the definition where it is.
    const added = group.resources.filter(isAgentResource).filter((r) => record.desired[r.id] !== "online");
    if (added.length > 0)
      return catchUp(
        ctx,
        record.owner,
        added.map((r) => r.id),
      );
    return failBack(ctx, record.owner);
  }
  if (record.status === "offline") {
    // Waiting offline with its owner up again (its failed resource recovered, or it came back):
    // bring it online on the most preferred node that can take it, the owner itself included; on the owner
    // when none can (even one whose answers look lost: a higher epoch is what lets an agent that self-fenced
    // under the old one start it again).
    // Never back onto a drained owner, though: it waits offline for another.
    const target = chooseTarget(group, health, null) ?? (owner.drained === true ? null : record.owner);
    if (target === null) return wait(ctx, `its owner ${record.owner} is drained and no other preferred owner is up`);
    return target === record.owner
      ? start(ctx, {
          kind: "place",
          source: null,
          sourceAlive: false,
          target,
          reason: `bringing the group back online on ${target}`,
        })
      : start(ctx, {
          kind: "place",
          source: record.owner,
          sourceAlive: true,
          target,
          reason: `placing the group on ${target}`,
        });
  }
  return NONE;
}

/** A move from an owner whose boot was never told of the group (see `decideGroup`). */
function onUntold(decision: GroupDecision, node: NodeHealth): GroupDecision {
  const report = node.report;
  const plan = decision.kind === "write" ? decision.record.plan : null;
  if (decision.kind !== "write" || !report || !plan) return decision;
  const through = { bootId: report.bootId, seq: report.seq };
  const steps = plan.steps.map((s) =>
    s.kind === "await-offline" && s.nodeId === node.nodeId ? { ...s, neverToldThrough: through } : s,
  );
  return {
    ...decision,
    record: { ...decision.record, plan: { ...plan, steps } },
    basedOn: [...(decision.basedOn ?? []), { ...report, latest: true }],
  };
}

/** A move taken on a node's leaving mark rests on the report that carried it (same boot, that report or later). */
export function onLeaving(decision: GroupDecision, node: NodeHealth): GroupDecision {
  if (decision.kind !== "write" || !node.report) return decision;
  return { ...decision, basedOn: [...(decision.basedOn ?? []), node.report] };
}

/**
 * A move taken on a node's silence rests on its last report too: if the node reports again between the pass's
 * read and its write (it came back just as it was found silent), the heartbeat function has recorded it and
 * answered it from the ownership it read after that write, so it may hold a fresh lease and have been told to
 * run the group. The write is then conditioned on that last report still being the node's latest: it fails, and
 * the next pass judges the node up. A node never heard from has no report to condition on and nothing to run.
 */
export function onSilence(decision: GroupDecision, node: NodeHealth | undefined): GroupDecision {
  if (decision.kind !== "write" || !node?.report) return decision;
  return { ...decision, basedOn: [...(decision.basedOn ?? []), { ...node.report, latest: true }] };
}

/** How a group moves on from its source (`failOver`). */
export interface FailOverOptions {
  /** The source confirms its resources offline itself, so it need not be fenced first. */
  readonly sourceAlive: boolean;
  /** Why, in the group's status reason and the cluster log. */
  readonly reason: string;
  /**
   * The source is leaving (a planned shutdown), drained or no longer a preferred owner: not a failure. The move is
   * neither counted against the failover threshold nor refused by it (two planned reboots of a two-node cluster
   * within the period must not leave the group failed), and not held against the source.
   * @default false
   */
  readonly planned?: boolean;
  /**
   * The group does not fail back to the source within the failover period.
   * @default true when the source is alive and the move is not planned (a resource failed there)
   */
  readonly blameSource?: boolean;
}

/**
 * Moves the group on from `sourceId` (a silent owner, one where a resource failed, or one leaving): to
 * the next preferred node that is up, unless the failover threshold is reached (the group is then left
 * failed) or no node can take it (it waits offline).
 */
export function failOver(ctx: GroupContext, sourceId: NodeId, options: FailOverOptions): GroupDecision {
  const { sourceAlive, reason, planned = false } = options;
  const blameSource = options.blameSource ?? (sourceAlive && !planned);
  const { record, group, now } = ctx;
  const recent = record.failovers.filter((at) => now - at < group.failover.periodMs);
  if (!planned && recent.length >= group.failover.threshold) {
    const why = `${reason}; not moved: ${recent.length} failovers within the failover period already reach the threshold of ${group.failover.threshold}`;
    return {
      kind: "write",
      record: transition(retire(record), { status: "failed", statusReason: why, failovers: recent }, now),
      event: { type: "group-failed", groupId: group.id, epoch: record.epoch, reason: why },
    };
  }
  const target = chooseTarget(group, ctx.health, sourceId);
  if (target === null) return wait(ctx, `${reason}; no other preferred owner is up`);
  const decision = start(ctx, {
    kind: "failover",
    source: sourceId,
    sourceAlive,
    target,
    reason,
    failovers: planned ? recent : [...recent, now],
  });
  // A resource failed there: remember it, so the group does not fail back to it.
  if (!blameSource || decision.kind !== "write") return decision;
  return { ...decision, record: { ...decision.record, failedOn: { ...decision.record.failedOn, [sourceId]: now } } };
}

function failBack(ctx: GroupContext, ownerId: NodeId): GroupDecision {
  const { group, health, now, definition } = ctx;
  if (!failbackAllowedAt(group.failback, now)) return NONE;
  // A failback rests on its source's word (a stop confirmed under the move's epoch), so not from an owner that is
  // restarting the group: a new boot not yet told of it (if its answers never come, its stops would never be
  // confirmed and an unfenced group would end failed after the pending timeout; left online, it moves as from an
  // untold owner once that boot has been heard for lease + grace, §8), or resources still starting or stopping
  // there. Found by the simulation: seed 1062878570 schedule 5859, a restart, then its answers lost for good.
  if (health.get(ownerId)?.unsettledGroups.includes(group.id) === true) return NONE;
  // The most preferred node, ready or not: a failback waits until it is ready (and settled), never goes to a lesser one.
  const preferred = mostPreferred(group, health, null);
  if (preferred === null || preferred === ownerId) return NONE;
  if (health.get(preferred)?.unreadyGroups.includes(group.id) === true) return NONE;
  // Resumed without --failback (or drained): groups may be placed there, but do not return on their own.
  if (health.get(preferred)?.failbackBlocked === true) return NONE;
  if (group.preferredOwners.indexOf(preferred) > group.preferredOwners.indexOf(ownerId)) return NONE;
  const failedAt = ownValue(ctx.record.failedOn, preferred);
  if (failedAt !== undefined && now - failedAt < group.failover.periodMs) return NONE;
  const upSince = health.get(preferred)?.upSince ?? now;
  if (now - upSince < failbackSettleMs(definition.timing)) return NONE;
  return start(ctx, {
    kind: "failback",
    source: ownerId,
    sourceAlive: true,
    target: preferred,
    reason: `failing back to preferred owner ${preferred}`,
  });
}
