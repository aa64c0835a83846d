/**
 * The writes a group decision is made of (`group-decision.ts` chooses which): start a move under a new epoch,
 * catch the owner up with resources a deploy added, or wait offline. Each returns the record to write and the event.
 */
import type { ClusterDefinition, GroupDefinition, NodeId } from "../definition/types.js";
import { isAgentResource } from "../definition/types.js";
import type { FailoverRequest } from "./alarm-requests.js";
import type { NodeHealth } from "./detection.js";
import type { ControllerEvent } from "./events.js";
import { buildPlanSteps, inheritedSources, nodesStillRunning, type PlanSource, retire } from "./plan-builder.js";
import { enterStep } from "./plan-progress.js";
import type { GroupRecord, Plan, PlanKind, ReportCondition } from "./records.js";
import { transition } from "./status.js";

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
  /** Alarm-driven failover requests for this group, received with this pass (`alarm-requests.ts`). */
  readonly alarms?: readonly FailoverRequest[];
}

/** Nothing to do with the group this pass. */
export const NONE: GroupDecision = { kind: "none" };

/**
 * A plan on the group's own owner, under the same epoch (the owner does not change), that brings every resource of
 * the definition online there in order: the ones a deploy added are started, those already online report so at
 * once, controller-side steps that already hold (volume attached, address and record in place) complete as they
 * are. Nodes that still report the group's resources running are freed first, as for any plan with no source (a
 * deploy that moved resources from another group). Counts no failover.
 */
export function catchUp(ctx: GroupContext, owner: NodeId, added: readonly string[]): GroupDecision {
  const { record, group, definition, now } = ctx;
  const reason = `resource ${added.join(", ")} added to the group by a deploy: starting it on ${owner}`;
  const inherited = nodesStillRunning(group, ctx.health).filter((s) => s.nodeId !== owner);
  const plan = newPlan(
    {
      kind: "place",
      reason,
      source: null,
      sourceAlive: false,
      target: owner,
      epoch: record.epoch,
      steps: buildPlanSteps(definition, group, { sourceId: null, sourceAlive: false, targetId: owner, inherited }),
    },
    inherited,
    now,
  );
  const next = transition(record, { status: "moving", statusReason: reason, since: now, plan }, now);
  return {
    kind: "write",
    record: enterStep(next, plan, 0, now),
    event: {
      type: "failover-started",
      groupId: group.id,
      epoch: record.epoch,
      kind: "place",
      source: null,
      target: owner,
      reason,
      detectionDelayMs: null,
    },
  };
}

export function wait(ctx: GroupContext, reason: string): GroupDecision {
  const { record, now } = ctx;
  if (record.status === "offline" && record.statusReason === reason) return NONE;
  return {
    kind: "write",
    record: transition(retire(record), { status: "offline", statusReason: reason, since: now }, now),
    event: { type: "group-waiting", groupId: record.groupId, reason },
  };
}

/** A move to start (`start`): the plan's kind, its source and target, and why. */
export interface MoveStart {
  readonly kind: PlanKind;
  /** The node to free first; null when none holds the group (a placement). */
  readonly source: NodeId | null;
  /** The source confirms its resources offline itself, so it need not be fenced first. */
  readonly sourceAlive: boolean;
  readonly target: NodeId;
  readonly reason: string;
  /** The failover times kept on the record. @default the record's, unchanged */
  readonly failovers?: readonly number[];
}

/** Starts a move: a new epoch, the group `moving` to `target`, and the plan's steps. */
export function start(ctx: GroupContext, move: MoveStart): GroupDecision {
  const { kind, source, sourceAlive, target, reason, failovers = ctx.record.failovers } = move;
  const { record, group, definition, now } = ctx;
  const epoch = record.epoch + 1;
  const lastHeard = source === null ? null : (ctx.health.get(source)?.lastHeardAt ?? null);
  const carried = inheritedSources(record, ctx.health);
  // With no source to free, a node may still run the group's resources all the same (a renamed group): free it first.
  const running = source === null ? nodesStillRunning(group, ctx.health) : [];
  // A node a deploy removed cannot be fenced: it is awaited while its last lease may run, and needs nothing after.
  const known = (id: NodeId) => definition.nodes.some((n) => n.id === id);
  const held = (id: NodeId) => ctx.health.get(id)?.leaseOver === false;
  const inherited = [...carried, ...running.filter((r) => !carried.some((c) => c.nodeId === r.nodeId))]
    .filter((s) => s.nodeId !== target && s.nodeId !== source)
    .map((s) => (known(s.nodeId) ? s : { nodeId: s.nodeId, confirmable: held(s.nodeId) }));
  const alive = source !== null && !known(source) ? held(source) : sourceAlive;
  const steps = buildPlanSteps(definition, group, {
    sourceId: source,
    sourceAlive: alive,
    targetId: target,
    inherited,
  });
  const plan = newPlan({ kind, reason, source, sourceAlive: alive, target, epoch, steps }, inherited, now);
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

/** A plan at its first step, started `now`; `inherited`: the nodes an earlier plan had not yet freed. */
function newPlan(
  move: Pick<Plan, "kind" | "reason" | "source" | "sourceAlive" | "target" | "epoch" | "steps">,
  inherited: readonly PlanSource[],
  now: number,
): Plan {
  return {
    ...move,
    ...(inherited.length > 0 ? { inheritedSources: inherited.map((s) => s.nodeId) } : {}),
    stepIndex: 0,
    stepStartedAt: now,
    attempts: 0,
    sourceUnconfirmed: false,
    fenced: false,
    unconfirmedNodes: [],
    fencedInstances: [],
    startedAt: now,
  };
}
