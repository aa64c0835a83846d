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
import type { PlanStep } from "./records.js";

/** The order in which a group's resources come online; they go offline in the reverse. */
export function groupStartOrder(group: GroupDefinition): ResourceDefinition[] {
  return startOrder(group.resources, (resource) => resource.dependsOn);
}

/**
 * The first node of `preferredOwners` that is up and is not excluded. Placement across zones is
 * settled by the definition's rules (an EBS group's owners share one zone); the volume's real
 * zone is checked again by the plan's first step, before anything moves.
 */
export function chooseTarget(
  group: GroupDefinition,
  health: ReadonlyMap<NodeId, NodeHealth>,
  exclude: NodeId | null,
): NodeId | null {
  return group.preferredOwners.find((id) => id !== exclude && health.get(id)?.up === true) ?? null;
}

/**
 * The controller-side steps that move a group from `source` (null: nobody holds it) to `target`:
 * verify zones; stop the source's agent resources in reverse order (a live source does it itself,
 * a silent one has self-fenced); fence; detach; then online in dependency order.
 */
export function buildPlanSteps(
  definition: ClusterDefinition,
  group: GroupDefinition,
  sourceId: NodeId | null,
  sourceAlive: boolean,
  targetId: NodeId,
): PlanStep[] {
  const node = (id: NodeId): NodeDefinition => {
    const found = definition.nodes.find((n) => n.id === id);
    if (!found) throw new Error(`node ${id} is not in the definition`);
    return found;
  };
  const source = sourceId === null ? null : node(sourceId);
  const target = node(targetId);
  const online = groupStartOrder(group);
  const offline = [...online].reverse();
  const steps: PlanStep[] = [];

  for (const r of online) {
    if (r.type === "ebs-volume" && target.kind === "ec2") {
      steps.push({ kind: "check-volume-zone", resourceId: r.id, volumeId: r.volumeId, instanceId: target.instanceId });
    }
  }
  if (source && sourceAlive) {
    for (const r of offline) {
      if (isAgentResource(r)) steps.push({ kind: "await-offline", resourceId: r.id, nodeId: source.id });
    }
  }
  if (source?.kind === "ec2" && group.fencing === "stop-instance") {
    steps.push({ kind: "fence", instanceId: source.instanceId, onlyIfUnconfirmed: sourceAlive });
  }
  if (source?.kind === "ec2") {
    for (const r of offline) {
      if (r.type === "ebs-volume") {
        steps.push({ kind: "detach-volume", resourceId: r.id, volumeId: r.volumeId, instanceId: source.instanceId });
      }
    }
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

/** Short name of a step, for logs and summaries: "attach-volume data". */
export function describeStep(step: PlanStep): string {
  return "resourceId" in step ? `${step.kind} ${step.resourceId}` : `${step.kind} ${step.instanceId}`;
}
