import type {
  ClusterDefinition,
  GroupDefinition,
  NodeDefinition,
  NodeId,
  ResourceDefinition,
} from "../definition/types.js";
import { startOrder } from "../definition/start-order.js";
import { isAgentResource } from "../definition/types.js";
import type { NodeHealth } from "./detection.js";
import { type GroupRecord, isUnconfirmed, type Plan, type PlanStep } from "./records.js";

/** The order in which a group's resources come online; they go offline in the reverse. */
export function groupStartOrder(group: GroupDefinition): ResourceDefinition[] {
  return startOrder(group.resources, (resource) => resource.dependsOn);
}

/**
 * The node a move takes the group to: the first of `preferredOwners` that can take it and is ready for it (heard
 * within two heartbeat intervals, its boot has obeyed an answer for the group, nothing of the group under way or
 * failed there: `NodeHealth.unreadyGroups`), else the first that can take it. A node that missed its heartbeats may
 * be cut off (the move would wait for it, then count another failover), and one still stopping what its last boot
 * left starts the group only after. Placement across zones is settled by the definition's rules (an EBS group's
 * owners share one zone); the volume's real zone is checked again by the plan's first step, before anything moves.
 */
export function chooseTarget(
  group: GroupDefinition,
  health: ReadonlyMap<NodeId, NodeHealth>,
  exclude: NodeId | null,
): NodeId | null {
  const ready = group.preferredOwners.find(
    (id) => id !== exclude && canTake(health.get(id), group.id) && !health.get(id)?.unreadyGroups.includes(group.id),
  );
  return ready ?? mostPreferred(group, health, exclude);
}

/** The first node of `preferredOwners` that can take the group and is not excluded, ready or not (a failback's). */
export function mostPreferred(
  group: GroupDefinition,
  health: ReadonlyMap<NodeId, NodeHealth>,
  exclude: NodeId | null,
): NodeId | null {
  return group.preferredOwners.find((id) => id !== exclude && canTake(health.get(id), group.id)) ?? null;
}

/**
 * Whether a node can take a group: it is up, not drained by an operator, and hears its answers (`answersLost` in detection.ts says how its
 * reports show it does not): told to start the group, a node that does not would never hear it, and the move
 * would wait out the pending timeout and count a failover.
 */
export function canTake(node: NodeHealth | undefined, groupId: string): boolean {
  return node?.up === true && node.drained !== true && !node.answersLost && !node.untoldGroups.includes(groupId);
}

/**
 * A node the group leaves. `confirmable`: its agent is up and can still confirm its own stop, so the plan
 * waits for that (and fences it only if it does not confirm in time); otherwise it is fenced at once where
 * the group can fence, and taken as stopped by its silence (its lease ran out) where it cannot.
 */
export interface PlanSource {
  readonly nodeId: NodeId;
  readonly confirmable: boolean;
}

/** The move whose steps `buildPlanSteps` lists. */
export interface StepsFor {
  /** The node the group leaves; null when nobody holds it. */
  readonly sourceId: NodeId | null;
  /** The source stops its resources itself and confirms (a silent one has self-fenced and is fenced). */
  readonly sourceAlive: boolean;
  readonly targetId: NodeId;
  /** Nodes an earlier plan had not yet freed, freed first. @default none */
  readonly inherited?: readonly PlanSource[];
}

/**
 * The controller-side steps that move a group from `source` (null: nobody holds it) to `target`:
 * verify zones; for each node the group leaves (the `inherited` sources first, then `source`): stop its
 * agent resources in reverse order (a live source does it itself, a silent one has self-fenced), fence it,
 * detach its volumes; then online in dependency order on the target.
 */
export function buildPlanSteps(definition: ClusterDefinition, group: GroupDefinition, move: StepsFor): PlanStep[] {
  const { sourceId, sourceAlive, targetId, inherited = [] } = move;
  const node = (id: NodeId): NodeDefinition => {
    const found = definition.nodes.find((n) => n.id === id);
    if (!found) throw new Error(`node ${id} is not in the definition`);
    return found;
  };
  const target = node(targetId);
  const online = groupStartOrder(group);
  const offline = [...online].reverse();
  const steps: PlanStep[] = [];

  for (const r of online) {
    if (r.type === "ebs-volume" && target.kind === "ec2") {
      steps.push({ kind: "check-volume-zone", resourceId: r.id, volumeId: r.volumeId, instanceId: target.instanceId });
    }
  }
  // A node since removed from the definition has no instance Baton may fence: while its lease may run (the caller
  // says so with `confirmable`, or `sourceAlive` for the source) its stops are awaited, and its silence counts as
  // a stop once that lease is over; after that it needs no step.
  const known = new Set(definition.nodes.map((n) => n.id));
  const removedSteps = (nodeId: NodeId, held: boolean): PlanStep[] =>
    held
      ? offline.filter(isAgentResource).map((r) => ({ kind: "await-offline" as const, resourceId: r.id, nodeId }))
      : [];
  const leaving = inherited.filter((s) => s.nodeId !== targetId && s.nodeId !== sourceId);
  for (const { nodeId, confirmable } of leaving) {
    if (!known.has(nodeId)) {
      steps.push(...removedSteps(nodeId, confirmable));
      continue;
    }
    const source = node(nodeId);
    const canFence = source.kind === "ec2" && group.fencing === "stop-instance";
    // A silent node that cannot be fenced is awaited too: its steps complete at once (its lease ran out).
    steps.push(...sourceSteps(group, offline, source, confirmable || !canFence));
  }
  if (sourceId !== null && !known.has(sourceId)) {
    steps.push(...removedSteps(sourceId, sourceAlive));
  } else if (sourceId !== null) {
    // The source itself may also be an inherited one that never confirmed: then it is not confirmable.
    const carried = inherited.find((s) => s.nodeId === sourceId);
    steps.push(...sourceSteps(group, offline, node(sourceId), sourceAlive && (carried?.confirmable ?? true)));
  }
  for (const r of online) {
    if (r.type === "ebs-volume" && target.kind === "ec2") {
      steps.push({
        kind: "attach-volume",
        resourceId: r.id,
        volumeId: r.volumeId,
        instanceId: target.instanceId,
        device: r.device,
      });
    } else if (isAgentResource(r)) {
      steps.push({ kind: "await-online", resourceId: r.id, nodeId: target.id });
    } else if (r.type === "elastic-ip" && target.kind === "ec2") {
      steps.push({
        kind: "associate-address",
        resourceId: r.id,
        allocationId: r.allocationId,
        instanceId: target.instanceId,
      });
    } else if (r.type === "dns-record") {
      steps.push({
        kind: "upsert-record",
        resourceId: r.id,
        hostedZoneId: r.hostedZoneId,
        name: r.name,
        ttl: r.ttl,
        target: r.target,
        ...(target.kind === "onprem" ? { address: target.address } : { instanceId: target.instanceId }),
      });
    }
  }
  return steps;
}

/** What freeing one source takes: await its agent's stops (when `alive`), fence it, detach its volumes. */
function sourceSteps(
  group: GroupDefinition,
  offline: readonly ResourceDefinition[],
  source: NodeDefinition,
  alive: boolean,
): PlanStep[] {
  const steps: PlanStep[] = [];
  if (alive) {
    for (const r of offline) {
      if (isAgentResource(r)) steps.push({ kind: "await-offline", resourceId: r.id, nodeId: source.id });
    }
  }
  if (source.kind === "ec2" && group.fencing === "stop-instance") {
    steps.push({ kind: "fence", instanceId: source.instanceId, onlyIfUnconfirmed: alive, nodeId: source.id });
  }
  if (source.kind === "ec2") {
    for (const r of offline) {
      if (r.type === "ebs-volume") {
        steps.push({
          kind: "detach-volume",
          resourceId: r.id,
          volumeId: r.volumeId,
          instanceId: source.instanceId,
          nodeId: source.id,
        });
      }
    }
  }
  return steps;
}

/** The node a source-side step concerns (older plans name none: their one source). */
export function sourceOfStep(step: PlanStep, plan: Plan): NodeId | null {
  switch (step.kind) {
    case "await-offline":
      return step.nodeId;
    case "fence":
    case "detach-volume":
      return step.nodeId ?? plan.source;
    default:
      return null;
  }
}

/**
 * The sources of `plan` that it had not yet freed: every node with an await-offline, fence or detach step
 * not done. A plan that replaces it (its target fell silent) or follows it (it failed) inherits them, so
 * no node takes the group while one of them may still run it. `confirmable` is left to the caller; here it
 * says whether the plan still expected the node to confirm its own stop.
 */
export function unfreedSources(plan: Plan): PlanSource[] {
  const found = new Map<NodeId, boolean>();
  plan.steps.forEach((step, index) => {
    if (index < plan.stepIndex) return;
    const nodeId = sourceOfStep(step, plan);
    if (nodeId === null) return;
    // A fence it would do whatever the node says means the plan had stopped counting on the node's word.
    const expected = !isUnconfirmed(plan, nodeId) && !(step.kind === "fence" && !step.onlyIfUnconfirmed);
    found.set(nodeId, (found.get(nodeId) ?? true) && expected);
  });
  // A step already done for a source whose later steps are pending can still tell it was unconfirmed.
  for (const step of plan.steps.slice(0, plan.stepIndex)) {
    const nodeId = sourceOfStep(step, plan);
    if (nodeId !== null && found.has(nodeId) && step.kind === "fence" && !step.onlyIfUnconfirmed) {
      found.set(nodeId, false);
    }
  }
  return [...found].map(([nodeId, confirmable]) => ({ nodeId, confirmable }));
}

/** Short name of a step, for logs and summaries: "attach-volume data". */
export function describeStep(step: PlanStep): string {
  return "resourceId" in step ? `${step.kind} ${step.resourceId}` : `${step.kind} ${step.instanceId}`;
}

/**
 * The nodes a new plan must free before its target takes the group, besides its source: the sources the
 * running plan had not yet freed (it is being replaced) and those a failed plan left (`unconfirmedSources`).
 * Each is confirmable (awaited, fenced only if it does not confirm) when it is up (or leaving) and the old
 * plan still counted on its word; otherwise it is fenced at once where the group can fence.
 */
export function inheritedSources(record: GroupRecord, health: ReadonlyMap<NodeId, NodeHealth>): PlanSource[] {
  const found = new Map<NodeId, boolean>();
  for (const nodeId of record.unconfirmedSources ?? []) found.set(nodeId, true);
  for (const { nodeId, confirmable } of record.plan ? unfreedSources(record.plan) : []) {
    found.set(nodeId, (found.get(nodeId) ?? true) && confirmable);
  }
  // A leaving node is not up, but its leaving heartbeat confirms (or not) each resource offline: awaited, its
  // steps complete at once, and it is fenced only if that heartbeat did not confirm (a reboot is not turned into a stop).
  return [...found].map(([nodeId, confirmable]) => ({
    nodeId,
    confirmable: confirmable && (health.get(nodeId)?.up === true || health.get(nodeId)?.leaving === true),
  }));
}

/**
 * The nodes a plan with no source must free besides the inherited ones: every node whose lease is not over and
 * whose latest report lists one of the group's agent resources in a state other than offline. The table names
 * no owner, yet such a node may run the group under an old name (a deploy renamed the group, or moved the
 * resources into it from another group) or under an owner an operator erased. Each is awaited like a live
 * source (a leaving one's last heartbeat confirms or not; one that does not confirm in time is fenced where the
 * group can fence); its silence counts as a stop only once its lease is over.
 */
export function nodesStillRunning(group: GroupDefinition, health: ReadonlyMap<NodeId, NodeHealth>): PlanSource[] {
  const ids = new Set(group.resources.filter(isAgentResource).map((r) => r.id));
  return [...health.values()]
    .filter((h) => !h.leaseOver && h.activeResources.some((id) => ids.has(id)))
    .map((h) => ({ nodeId: h.nodeId, confirmable: true }));
}

/**
 * The record without its plan, keeping the plan's sources not yet freed in `unconfirmedSources`: a group
 * left failed or waiting must still fence them (or see them stop) before it moves again, even after an
 * operator's reset (docs/operations.md).
 */
export function retire(record: GroupRecord): GroupRecord {
  const nodes = new Set([
    ...(record.unconfirmedSources ?? []),
    ...(record.plan ? unfreedSources(record.plan).map((s) => s.nodeId) : []),
  ]);
  const { unconfirmedSources: _old, ...rest } = record;
  return nodes.size > 0 ? { ...rest, plan: null, unconfirmedSources: [...nodes] } : { ...rest, plan: null };
}
