/** References between parts of the definition: preferred owners, dependencies, mount volumes. */
import { choices, show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage, SalvagedGroup, SalvagedResource } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";
import { findCycles } from "./cycles.js";

function groupName(group: SalvagedGroup): string {
  return group.id === undefined ? `groups[${group.index}]` : `group ${show(group.id)}`;
}

function checkOwners(definition: Salvage, group: SalvagedGroup): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const seen = new Set<string>();
  group.preferredOwners?.forEach((owner, position) => {
    const path = formatPath(["groups", group.index, "preferredOwners", position]);
    if (seen.has(owner)) {
      problems.push({ path, message: `${show(owner)} is listed twice; list each node once, most preferred first.` });
    } else if (!definition.writtenNodeIds.has(owner)) {
      problems.push({
        path,
        message: `${show(owner)} is not a node of the cluster; name one of: ${choices(definition.writtenNodeIds)}.`,
      });
    }
    seen.add(owner);
  });
  return problems;
}

function checkDependsOn(definition: Salvage, group: SalvagedGroup, resource: SalvagedResource): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const seen = new Set<string>();
  (resource.dependsOn ?? []).forEach((dependency, position) => {
    const path = formatPath(["groups", group.index, "resources", resource.index, "dependsOn", position]);
    if (dependency === resource.id) {
      problems.push({
        path,
        message: `${show(dependency)} is the resource itself; a resource cannot depend on itself.`,
      });
    } else if (seen.has(dependency)) {
      problems.push({ path, message: `${show(dependency)} is listed twice; list each dependency once.` });
    } else if (!group.writtenResourceIds.has(dependency)) {
      const elsewhere = definition.resourceGroups.get(dependency);
      const what =
        elsewhere === undefined
          ? "is not a resource of the cluster"
          : `is a resource of another group (groups[${elsewhere}]), and each group starts on its own`;
      const others = [...group.writtenResourceIds].filter((id) => id !== resource.id);
      problems.push({
        path,
        message: `${show(dependency)} ${what}; name a resource of ${groupName(group)}: ${choices(others)}.`,
      });
    }
    seen.add(dependency);
  });
  return problems;
}

function checkVolume(group: SalvagedGroup, resource: SalvagedResource): DefinitionProblem[] {
  if (resource.type !== "mount" || resource.volume === undefined) return [];
  const volumes = group.resources.flatMap(({ type, id }) => (type === "ebs-volume" && id !== undefined ? [id] : []));
  const volume = resource.volume;
  if (volumes.includes(volume)) return [];
  const path = formatPath(["groups", group.index, "resources", resource.index, "volume"]);
  const message =
    volumes.length === 0
      ? `${show(volume)} is not an ebs-volume of ${groupName(group)}, which has none; add an ebs-volume resource to the group and name it here.`
      : `${show(volume)} is not an ebs-volume of ${groupName(group)}; name one of: ${choices(volumes)}.`;
  return [{ path, message }];
}

function checkCycles(group: SalvagedGroup): DefinitionProblem[] {
  const first = new Map<string, SalvagedResource>();
  for (const resource of group.resources) {
    if (resource.id !== undefined && !first.has(resource.id)) first.set(resource.id, resource);
  }
  const edges = new Map<string, string[]>();
  const implicit = new Set<string>();
  for (const [id, resource] of first) {
    const targets = (resource.dependsOn ?? []).filter((dependency) => dependency !== id && first.has(dependency));
    const volume = resource.type === "mount" ? resource.volume : undefined;
    if (volume !== undefined && first.get(volume)?.type === "ebs-volume" && !targets.includes(volume)) {
      targets.push(volume);
      implicit.add(`${id} ${volume}`);
    }
    edges.set(id, targets);
  }

  return findCycles([...edges.keys()], (id) => edges.get(id) ?? []).map((cycle) => {
    const start = cycle[0] ?? "";
    const steps = cycle.map((id, i) => `${id} ${cycle[(i + 1) % cycle.length]}`);
    const note = steps.some((step) => implicit.has(step))
      ? " (a mount depends on its volume even when not listed)"
      : "";
    return {
      path: formatPath(["groups", group.index, "resources", first.get(start)?.index ?? 0, "dependsOn"]),
      message: `dependency cycle: ${[...cycle, start].join(" -> ")}${note}; remove one of these dependencies so the group can start.`,
    };
  });
}

export function checkReferences(definition: Salvage): DefinitionProblem[] {
  return definition.groups.flatMap((group) => [
    ...checkOwners(definition, group),
    ...group.resources.flatMap((resource) => [
      ...checkDependsOn(definition, group, resource),
      ...checkVolume(group, resource),
    ]),
    ...checkCycles(group),
  ]);
}
