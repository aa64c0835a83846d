/**
 * `groups[].agentResources` of the heartbeat answer: what an agent needs to run a group's agent-side
 * resources, built from the deployed definition only (never from the table) and once per group.
 */
import type { AgentResourceSpec } from "../agent/spec.js";
import { startOrder } from "../definition/start-order.js";
import {
  isAgentResource,
  type AgentResource,
  type GroupDefinition,
  type ResourceDefinition,
  type ResourceId,
} from "../definition/types.js";

const built = new WeakMap<GroupDefinition, readonly AgentResourceSpec[]>();

/**
 * The group's agent-side resources in start order: a topological order of `dependsOn` that keeps
 * definition order among resources free to start, so the agent starts them in this order and stops
 * them in the reverse. Each `dependsOn` names the agent-side resources that must be online first,
 * including those reached through controller-side ones (postgres → ip → proxy makes proxy depend on
 * postgres), so stopping in reverse order never stops a resource before one that needs it. Computed on
 * first use and kept: a definition never changes while a function runs.
 */
export function agentResourceSpecs(group: GroupDefinition): readonly AgentResourceSpec[] {
  let specs = built.get(group);
  if (specs === undefined) {
    specs = buildSpecs(group);
    built.set(group, specs);
  }
  return specs;
}

function buildSpecs(group: GroupDefinition): readonly AgentResourceSpec[] {
  const byId = new Map<ResourceId, ResourceDefinition>(group.resources.map((resource) => [resource.id, resource]));
  const agentSide = group.resources.filter(isAgentResource);
  const needs = new Map(agentSide.map((resource) => [resource.id, agentDependencies(resource, byId)]));
  return startOrder(agentSide, (resource) => needs.get(resource.id) ?? []).map((resource) =>
    spec(resource, needs.get(resource.id) ?? [], byId),
  );
}

/** The agent-side resources `resource` waits for, directly or through controller-side resources, in definition order. */
function agentDependencies(resource: AgentResource, byId: ReadonlyMap<ResourceId, ResourceDefinition>): ResourceId[] {
  const found = new Set<ResourceId>();
  const seen = new Set<ResourceId>();
  const queue = [...resource.dependsOn];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (seen.has(id)) continue;
    seen.add(id);
    const dependency = byId.get(id);
    if (dependency === undefined) continue;
    if (isAgentResource(dependency)) found.add(id);
    else queue.push(...dependency.dependsOn);
  }
  return [...byId.keys()].filter((id) => found.has(id));
}

function spec(
  resource: AgentResource,
  dependsOn: readonly ResourceId[],
  byId: ReadonlyMap<ResourceId, ResourceDefinition>,
): AgentResourceSpec {
  const base = {
    id: resource.id,
    dependsOn,
    pendingTimeoutMs: resource.pendingTimeoutMs,
    stopTimeoutMs: resource.stopTimeoutMs,
    restart: { threshold: resource.restart.threshold, periodMs: resource.restart.periodMs },
  };
  switch (resource.type) {
    case "mount": {
      const volume = byId.get(resource.volume);
      if (volume?.type !== "ebs-volume") {
        // The definition's rules refuse such a mount: only a definition built by other means gets here.
        throw new Error(`mount ${resource.id} names ${resource.volume}, which is not an ebs-volume of its group`);
      }
      return {
        ...base,
        type: "mount",
        path: resource.path,
        volumeId: volume.volumeId,
        device: volume.device,
        // Only when the definition names some: an agent from before this field refuses an answer that has it.
        ...(resource.options === undefined ? {} : { options: [...resource.options] }),
      };
    }
    case "systemd":
      return { ...base, type: "systemd", unit: resource.unit };
    case "command":
      return { ...base, type: "command", start: resource.start, stop: resource.stop, check: resource.check };
  }
}
