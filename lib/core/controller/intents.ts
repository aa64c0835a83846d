/**
 * Operator intents (docs/operations.md, docs/table.md): what an operator asked of a group (move it, reset it
 * from `failed`, drill a failover) or of a node (drain it, resume it). The CLI writes them with conditional
 * writes; the controller carries the group intents out under the same epoch rules as any move, and reads the
 * node admin items as part of every node's health. Everything here is pure: the CLI asks the same questions
 * before it writes (so an operator is refused at once, with the reason) and the controller asks them again when
 * it takes the intent (the cluster may have changed in between).
 */
import type { ClusterDefinition, GroupDefinition, GroupId, NodeId } from "../definition/types.js";
import type { NodeHealth } from "./detection.js";
import type { ControllerEvent } from "./events.js";
import { onLeaving, onSilence } from "./group-decision.js";
import { type GroupContext, type GroupDecision, start } from "./group-moves.js";
import { canTake, chooseTarget, retire } from "./plan-builder.js";
import type { GroupIntent, GroupRecord, NodeAdmin, PlanOperator } from "./records.js";

export type { GroupIntent, GroupIntentAction, IntentState, NodeAdmin, PlanOperator } from "./records.js";

/** The operator's part of a pass's events: an intent taken or refused. */
export type IntentEvent = Extract<ControllerEvent, { type: "intent-taken" | "intent-refused" }>;

export type IntentDecision =
  | { readonly kind: "refused"; readonly reason: string; readonly event: IntentEvent }
  | {
      readonly kind: "write";
      readonly record: GroupRecord;
      readonly events: readonly ControllerEvent[];
      readonly basedOn?: Extract<GroupDecision, { kind: "write" }>["basedOn"];
    };

/**
 * The node a move of `group` goes to, or why it cannot be made. `ask.to`: the node the operator named (null:
 * the next preferred one that can take it); `ask.drill`: the move is a drill (`baton drill`). Refused when the group is failed (reset it first) or moving, when
 * the target is not a preferred owner, is down, drained, cannot hear its answers, is in another zone than the
 * group's volume, or already owns the group; a drill also when the group is not online on a live owner.
 */
export function moveTarget(
  definition: ClusterDefinition,
  group: GroupDefinition,
  record: Pick<GroupRecord, "owner" | "status" | "statusReason">,
  health: ReadonlyMap<NodeId, NodeHealth>,
  ask: { readonly to: NodeId | null; readonly drill: boolean },
): { readonly target: NodeId } | { readonly refused: string } {
  const { to: requested, drill } = ask;
  if (record.status === "failed") {
    return {
      refused: `group ${group.id} is failed (${record.statusReason}): reset it first (baton reset ${group.id})`,
    };
  }
  if (record.status === "moving") {
    return { refused: `group ${group.id} is already moving (${record.statusReason}): wait until it is online` };
  }
  const owner = record.owner === null ? undefined : health.get(record.owner);
  if (drill && (record.status !== "online" || owner?.up !== true)) {
    const why = record.owner === null ? "it has no owner" : `its owner ${record.owner} is not up`;
    return {
      refused: `group ${group.id} is not healthy enough for a drill: it is ${record.status} and ${record.status === "online" ? why : "not online"}`,
    };
  }
  if (requested === null) {
    const target = chooseTarget(group, health, record.owner);
    if (target === null) {
      return { refused: `no other preferred owner of group ${group.id} is up, undrained and hearing its answers` };
    }
    return { target };
  }
  const node = definition.nodes.find((n) => n.id === requested);
  if (!node) {
    return {
      refused: `--to: ${requested} is not a node of the cluster (nodes: ${definition.nodes.map((n) => n.id).join(", ")})`,
    };
  }
  if (!group.preferredOwners.includes(requested)) {
    return {
      refused: `--to: ${requested} is not a preferred owner of group ${group.id} (preferred owners: ${group.preferredOwners.join(", ")})`,
    };
  }
  if (requested === record.owner) return { refused: `group ${group.id} is already on ${requested}` };
  const reason = whyCannotTake(health.get(requested), group.id);
  if (reason !== null) return { refused: `--to: ${requested} ${reason}` };
  const zone = volumeZoneConflict(definition, group, requested);
  if (zone !== null) return { refused: `--to: ${requested} ${zone}` };
  return { target: requested };
}

/** Why a node cannot take a group, for people; null: it can. */
export function whyCannotTake(node: NodeHealth | undefined, groupId: GroupId): string | null {
  if (node === undefined || node.lastHeardAt === null) return "has never sent a heartbeat";
  if (node.drained === true) return "is drained (baton resume it first)";
  if (node.leaving) return "is leaving (its agent is stopping)";
  if (!node.up) return `is down (last heartbeat ${new Date(node.lastHeardAt).toISOString()})`;
  if (!canTake(node, groupId)) return "is up but does not hear its answers (see baton status)";
  return null;
}

/**
 * A group with an EBS volume can only move within the volume's zone: the definition puts its EC2 owners in one zone,
 * so a target in another (or an on-premise node) is refused. The plan's first step checks the volume's real zone.
 */
function volumeZoneConflict(definition: ClusterDefinition, group: GroupDefinition, targetId: NodeId): string | null {
  if (!group.resources.some((r) => r.type === "ebs-volume")) return null;
  const target = definition.nodes.find((n) => n.id === targetId);
  if (target?.kind !== "ec2") return "is not an EC2 instance: it cannot attach the group's EBS volume";
  const zones = new Set(
    group.preferredOwners.flatMap((id) => {
      const n = definition.nodes.find((m) => m.id === id);
      return n?.kind === "ec2" && n.id !== targetId ? [n.availabilityZone] : [];
    }),
  );
  if (zones.size > 0 && !zones.has(target.availabilityZone)) {
    return `is in ${target.availabilityZone}, not in the zone of the group's volume (${[...zones].join(", ")})`;
  }
  return null;
}

/** Why a failed group cannot be reset; null: it can. */
export function resetRefusal(record: Pick<GroupRecord, "groupId" | "status">): string | null {
  if (record.status !== "failed") {
    return `group ${record.groupId} is ${record.status}, not failed: only a failed group is reset (move it with baton move)`;
  }
  return null;
}

/**
 * Why `nodeId` cannot be drained; null: it can. Refused when the node is unknown or already drained, and when a
 * group it owns has no other preferred owner up to go to (drain one of two nodes while the other is down would
 * leave the group where it is, or nowhere).
 */
export function drainRefusal(
  definition: ClusterDefinition,
  nodeId: NodeId,
  admin: NodeAdmin | undefined,
  groups: ReadonlyMap<GroupId, Pick<GroupRecord, "owner">>,
  health: ReadonlyMap<NodeId, NodeHealth>,
): string | null {
  if (!definition.nodes.some((n) => n.id === nodeId)) {
    return `${nodeId} is not a node of the cluster (nodes: ${definition.nodes.map((n) => n.id).join(", ")})`;
  }
  if (admin?.drained === true) {
    return `${nodeId} is already drained (by ${admin.by} at ${new Date(admin.at).toISOString()})`;
  }
  for (const group of definition.groups) {
    if (groups.get(group.id)?.owner !== nodeId) continue;
    if (chooseTarget(group, health, nodeId) === null) {
      return `group ${group.id} runs on ${nodeId} and no other preferred owner (${group.preferredOwners.filter((id) => id !== nodeId).join(", ") || "none"}) is up to take it`;
    }
  }
  return null;
}

/** Why `nodeId` cannot be resumed; null: it can (a drained node, or one whose failback is held, with `failback`). */
export function resumeRefusal(
  definition: ClusterDefinition,
  nodeId: NodeId,
  admin: NodeAdmin | undefined,
  failback: boolean,
): string | null {
  if (!definition.nodes.some((n) => n.id === nodeId)) {
    return `${nodeId} is not a node of the cluster (nodes: ${definition.nodes.map((n) => n.id).join(", ")})`;
  }
  if (admin?.drained === true) return null;
  if (failback && admin !== undefined && !admin.failback) return null;
  return `${nodeId} is not drained${failback ? " and may already take failbacks" : ""}: nothing to resume`;
}

/**
 * What the controller does with a pending group intent this pass: a plan (or a reset) to write, or a refusal to
 * record on the intent. Asked only while the guard is not frozen and the group has no intent of this id taken.
 */
export function decideIntent(ctx: GroupContext, intent: GroupIntent): IntentDecision {
  const { record, group, definition, health, now } = ctx;
  const refuse = (reason: string): IntentDecision => ({
    kind: "refused",
    reason,
    event: {
      type: "intent-refused",
      groupId: group.id,
      intentId: intent.id,
      action: label(intent),
      by: intent.by,
      reason,
    },
  });
  if (ctx.frozen) return refuse("automatic failover is frozen (the mass-failure guard): nothing moves until it thaws");
  let base = record;
  const events: ControllerEvent[] = [];
  if (intent.action === "reset") {
    const refusal = resetRefusal(record);
    if (refusal !== null) return refuse(refusal);
    // Out of `failed` (an operator's move, outside the controller's own transitions): no plan, no failover count,
    // the owner and the sources a failed plan left unfreed kept, so the next plan fences or awaits them first.
    base = {
      ...retire(record),
      version: record.version + 1,
      status: "offline",
      statusReason: `reset by ${intent.by}`,
      since: now,
      failovers: [],
    };
    events.push(taken(intent, group.id, `reset from failed: ${record.statusReason}`));
    if (intent.target === null) return { kind: "write", record: base, events };
  }
  const chosen = moveTarget(definition, group, base, health, { to: intent.target, drill: intent.drill });
  if ("refused" in chosen) return refuse(chosen.refused);
  const reason = `${intent.drill ? "drill" : intent.action === "reset" ? "reset and move" : "move"} to ${chosen.target} asked by ${intent.by}`;
  const next = { ...ctx, record: base };
  const owner = base.owner === null ? undefined : health.get(base.owner);
  let decision: GroupDecision;
  if (base.owner === null) {
    decision = start(next, { kind: "place", source: null, sourceAlive: false, target: chosen.target, reason });
  } else if (owner?.leaving === true) {
    decision = onLeaving(
      start(next, { kind: "failover", source: base.owner, sourceAlive: true, target: chosen.target, reason }),
      owner,
    );
  } else if (owner?.up === true) {
    // The owner is alive and cooperating: it stops in reverse order and confirms (await-offline), then the target
    // starts. No fence unless it stops confirming (the await times out): then the plan's fence step runs.
    decision = start(next, { kind: "failover", source: base.owner, sourceAlive: true, target: chosen.target, reason });
  } else {
    // A silent owner (a failed group's, most often): fenced where the group can be, its silence checked again at the write.
    decision = onSilence(
      start(next, { kind: "failover", source: base.owner, sourceAlive: false, target: chosen.target, reason }),
      owner,
    );
  }
  if (decision.kind !== "write" || decision.record.plan === null) return refuse("nothing to do");
  const operator: PlanOperator = { intentId: intent.id, by: intent.by, drill: intent.drill };
  const written: GroupRecord = {
    ...decision.record,
    version: record.version + 1,
    plan: { ...decision.record.plan, operator },
  };
  if (intent.action !== "reset") events.push(taken(intent, group.id, reason));
  return {
    kind: "write",
    record: written,
    events: [...events, decision.event],
    ...(decision.basedOn ? { basedOn: decision.basedOn } : {}),
  };
}

function label(intent: GroupIntent): "move" | "reset" | "drill" {
  return intent.drill ? "drill" : intent.action;
}

function taken(intent: GroupIntent, groupId: GroupId, detail: string): IntentEvent {
  return { type: "intent-taken", groupId, intentId: intent.id, action: label(intent), by: intent.by, reason: detail };
}
