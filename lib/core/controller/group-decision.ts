import type { ClusterDefinition, GroupDefinition, NodeId } from "../definition/types.js";
import type { NodeHealth } from "./detection.js";
import type { ControllerEvent } from "./events.js";
import { failbackAllowedAt } from "./failback-window.js";
import { isAgentResource } from "../definition/types.js";
import { buildPlanSteps, chooseTarget, inheritedSources, retire } from "./plan-builder.js";
import { enterStep } from "./plan-progress.js";
import type { GroupRecord, PlanKind, ReportCondition } from "./records.js";
import { transition } from "./status.js";
import { failbackSettleMs } from "./timing.js";

export type GroupDecision =
  | { readonly kind: "none" }
  /**
   * Write `record` (conditioned on the version read, and on each `basedOn` report still being its node's
   * latest) and report `event`.
   */
  | {
      readonly kind: "write";
      readonly record: GroupRecord;
      readonly event: ControllerEvent;
      readonly basedOn?: readonly ReportCondition[];
    };

export interface GroupContext {
  readonly definition: ClusterDefinition;
  readonly group: GroupDefinition;
  readonly record: GroupRecord;
  readonly health: ReadonlyMap<NodeId, NodeHealth>;
  /** The mass-failure guard holds: start nothing new. */
  readonly frozen: boolean;
  readonly now: number;
}

const NONE: GroupDecision = { kind: "none" };

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
        failOver(ctx, record.plan.target, true, `target ${record.plan.target} is leaving during the move`, false),
        target,
      );
    }
    return onSilence(
      failOver(ctx, record.plan.target, false, `target ${record.plan.target} went silent during the move`),
      target,
    );
  }
  if (ctx.frozen) return NONE;

  if (record.owner === null) {
    const target = chooseTarget(group, health, null);
    if (target === null) return wait(ctx, "no preferred owner is up");
    return start(ctx, "place", null, false, target, "placing the group on its most preferred node that is up");
  }

  const owner = health.get(record.owner);
  if (owner?.leaving === true) {
    // Its agent stopped the group's resources before it said so: move at once, without fencing,
    // and without holding it against the node (it may have the group back when it returns). The move
    // rests on that leaving report: if the node has reported again since (its agent restarted, a new
    // boot that may have been told to run the group), the write fails and the next pass judges anew.
    return onLeaving(
      failOver(ctx, record.owner, true, `node ${record.owner} is leaving (planned shutdown)`, false),
      owner,
    );
  }
  if (owner?.up !== true) {
    const heard = owner?.lastHeardAt ? `since ${new Date(owner.lastHeardAt).toISOString()}` : "never heard";
    return onSilence(failOver(ctx, record.owner, false, `node ${record.owner} is silent (${heard})`), owner);
  }
  const agentIds = new Set(group.resources.filter(isAgentResource).map((r) => r.id));
  const failed = owner.failedResources.filter((id) => agentIds.has(id));
  if (failed.length > 0 && record.status === "online") {
    return failOver(ctx, record.owner, true, `resource ${failed.join(", ")} failed on ${record.owner}`);
  }
  const fenced = owner.fencedResources.filter((id) => agentIds.has(id));
  if (fenced.length > 0 && record.status === "online") {
    // Its agent lost its lease while its heartbeats still arrive (its answers are lost): it stopped the group
    // and will not start it again under this epoch. Its fenced report confirms the stop, so the group moves at
    // once; and it is held against the node (no failback within the failover period), which looks up while
    // its answers are still lost and would otherwise be given the group straight back.
    return failOver(
      ctx,
      record.owner,
      true,
      `node ${record.owner} stopped ${fenced.join(", ")} on losing its lease (its heartbeats arrive, its answers do not)`,
    );
  }
  if (owner.untoldGroups.includes(group.id) && record.status === "online") {
    // Its heartbeats arrive, but its current boot, heard for longer than a lease and its grace, has never been
    // told of the group (its answers are lost: an agent restarted into a one-way partition): it runs nothing of
    // it. The move rests on this exact report being the node's latest, and its await-offline steps complete
    // only on a later report of the same boot still told nothing: the answer to this report, the last that
    // could give it the group, then never reached it. Held against the node, like a fenced owner.
    return onUntold(
      failOver(
        ctx,
        record.owner,
        true,
        `node ${record.owner} heartbeats, but its boot heard since ${new Date(owner.upSince ?? 0).toISOString()} has never been told of the group (its answers do not arrive)`,
      ),
      owner,
    );
  }
  if (record.status === "online") return failBack(ctx, record.owner);
  if (record.status === "offline") {
    // Waiting offline with its owner up again (its failed resource recovered, or it came back):
    // bring it online on the most preferred node that can take it, the owner itself included; on the owner
    // when none can (even one whose answers look lost: a higher epoch is what lets an agent that self-fenced
    // under the old one start it again).
    const target = chooseTarget(group, health, null) ?? record.owner;
    return target === record.owner
      ? start(ctx, "place", null, false, target, `bringing the group back online on ${target}`)
      : start(ctx, "place", record.owner, true, target, `placing the group on ${target}`);
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
function onLeaving(decision: GroupDecision, node: NodeHealth): GroupDecision {
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
function onSilence(decision: GroupDecision, node: NodeHealth | undefined): GroupDecision {
  if (decision.kind !== "write" || !node?.report) return decision;
  return { ...decision, basedOn: [...(decision.basedOn ?? []), { ...node.report, latest: true }] };
}

/**
 * Moves the group on from `sourceId` (a silent owner, one where a resource failed, or one leaving): to
 * the next preferred node that is up, unless the failover threshold is reached (the group is then left
 * failed) or no node can take it (it waits offline). `sourceAlive`: the source confirms its resources
 * offline itself, so it need not be fenced first. `blameSource` (by default, when the source is alive:
 * a resource failed there): the group does not fail back to it within the failover period.
 */
export function failOver(
  ctx: GroupContext,
  sourceId: NodeId,
  sourceAlive: boolean,
  reason: string,
  blameSource: boolean = sourceAlive,
): GroupDecision {
  const { record, group, now } = ctx;
  const recent = record.failovers.filter((at) => now - at < group.failover.periodMs);
  if (recent.length >= group.failover.threshold) {
    const why = `${reason}; not moved: ${recent.length} failovers within the failover period already reach the threshold of ${group.failover.threshold}`;
    return {
      kind: "write",
      record: transition(retire(record), { status: "failed", statusReason: why, failovers: recent }, now),
      event: { type: "group-failed", groupId: group.id, epoch: record.epoch, reason: why },
    };
  }
  const target = chooseTarget(group, ctx.health, sourceId);
  if (target === null) return wait(ctx, `${reason}; no other preferred owner is up`);
  const decision = start(ctx, "failover", sourceId, sourceAlive, target, reason, [...recent, now]);
  // A resource failed there: remember it, so the group does not fail back to it.
  if (!blameSource || decision.kind !== "write") return decision;
  return { ...decision, record: { ...decision.record, failedOn: { ...decision.record.failedOn, [sourceId]: now } } };
}

function failBack(ctx: GroupContext, ownerId: NodeId): GroupDecision {
  const { group, health, now, definition } = ctx;
  if (!failbackAllowedAt(group.failback, now)) return NONE;
  const preferred = chooseTarget(group, health, null);
  if (preferred === null || preferred === ownerId) return NONE;
  if (group.preferredOwners.indexOf(preferred) > group.preferredOwners.indexOf(ownerId)) return NONE;
  const failedAt = ctx.record.failedOn[preferred];
  if (failedAt !== undefined && now - failedAt < group.failover.periodMs) return NONE;
  const upSince = health.get(preferred)?.upSince ?? now;
  if (now - upSince < failbackSettleMs(definition.timing)) return NONE;
  return start(ctx, "failback", ownerId, true, preferred, `failing back to preferred owner ${preferred}`);
}

function wait(ctx: GroupContext, reason: string): GroupDecision {
  const { record, now } = ctx;
  if (record.status === "offline" && record.statusReason === reason) return NONE;
  return {
    kind: "write",
    record: transition(retire(record), { status: "offline", statusReason: reason, since: now }, now),
    event: { type: "group-waiting", groupId: record.groupId, reason },
  };
}

function start(
  ctx: GroupContext,
  kind: PlanKind,
  source: NodeId | null,
  sourceAlive: boolean,
  target: NodeId,
  reason: string,
  failovers: readonly number[] = ctx.record.failovers,
): GroupDecision {
  const { record, group, definition, now } = ctx;
  const epoch = record.epoch + 1;
  const lastHeard = source === null ? null : (ctx.health.get(source)?.lastHeardAt ?? null);
  const inherited = inheritedSources(record, ctx.health).filter((s) => s.nodeId !== target && s.nodeId !== source);
  const steps = buildPlanSteps(definition, group, source, sourceAlive, target, inherited);
  const plan = {
    kind,
    reason,
    source,
    sourceAlive,
    ...(inherited.length > 0 ? { inheritedSources: inherited.map((s) => s.nodeId) } : {}),
    target,
    epoch,
    steps,
    stepIndex: 0,
    stepStartedAt: now,
    attempts: 0,
    sourceUnconfirmed: false,
    fenced: false,
    unconfirmedNodes: [],
    fencedInstances: [],
    startedAt: now,
  };
  const { unconfirmedSources: _carried, ...rest } = record;
  const next = transition(
    rest,
    {
      owner: target,
      epoch,
      status: "moving",
      statusReason: reason,
      since: now,
      failovers,
      desired: Object.fromEntries(group.resources.filter(isAgentResource).map((r) => [r.id, "offline" as const])),
      plan,
    },
    now,
  );
  return {
    kind: "write",
    record: enterStep(next, plan, 0, now),
    event: {
      type: "failover-started",
      groupId: group.id,
      epoch,
      kind,
      source,
      target,
      reason,
      detectionDelayMs: !sourceAlive && lastHeard !== null ? now - lastHeard : null,
    },
  };
}
