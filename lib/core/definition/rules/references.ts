/** References between parts of the definition: preferred owners, dependencies, mount volumes. */
import { choices, show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage, SalvagedGroup } from "../salvage.js";
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

function checkDependencies(definition: Salvage, group: SalvagedGroup): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const { index, value: resource } of group.resources) {
    const at = ["groups", group.index, "resources", index] as const;
    const seen = new Set<string>();
    (resource.dependsOn ?? []).forEach((dependency, position) => {
      const path = formatPath([...at, "dependsOn", position]);
      if (dependency === resource.id) {
        problems.push({
          path,
          message: `${show(dependency)} is the resource itself; a resource cannot depend on itself.`,
        });
      } else if (seen.has(dependency)) {
        problems.push({ path, message: `${show(dependency)} is listed twice; list each dependency once.` });
      } else if (!group.writtenResourceIds.has(dependency)) {
        const elsewhere = definition.resourceGroups.get(dependency);
        const where =
          elsewhere === undefined
            ? "is not a resource of the cluster"
            : `is a resource of another group (groups[${elsewhere}]), and a group starts on its own`;
        const others = [...group.writtenResourceIds].filter((id) => id !== resource.id);
        problems.push({
          path,
          message: `${show(dependency)} ${where}; name a resource of ${groupName(group)}: ${choices(others)}.`,
        });
      }
      seen.add(dependency);
    });

    if (resource.type === "mount") {
      const volumes = group.resources.flatMap(({ value }) => (value.type === "ebs-volume" ? [value.id] : []));
      if (!volumes.includes(resource.volume) && !invalidVolume(group, resource.volume)) {
        problems.push({
          path: formatPath([...at, "volume"]),
          message:
            volumes.length === 0
              ? `${show(resource.volume)} is not an ebs-volume of ${groupName(group)}, which has none; add an ebs-volume resource to the group and name it here.`
              : `${show(resource.volume)} is not an ebs-volume of ${groupName(group)}; name one of: ${choices(volumes)}.`,
        });
      }
    }
  }
  return problems;
}

/** Whether `id` names a resource of the group that was itself invalid (already reported). */
function invalidVolume(group: SalvagedGroup, id: string): boolean {
  return group.writtenResourceIds.has(id) && !group.resources.some(({ value }) => value.id === id);
}

function checkCycles(group: SalvagedGroup): DefinitionProblem[] {
  const ids = new Set(group.resources.map(({ value }) => value.id));
  const edges = new Map<string, string[]>();
  const implicit = new Set<string>();
  for (const { value } of group.resources) {
    const targets = (value.dependsOn ?? []).filter((dependency) => dependency !== value.id && ids.has(dependency));
    if (value.type === "mount" && ids.has(value.volume) && !targets.includes(value.volume)) {
      targets.push(value.volume);
      implicit.add(`${value.id} ${value.volume}`);
    }
    if (!edges.has(value.id)) edges.set(value.id, targets);
  }
  const indexOf = new Map<string, number>();
  for (const { index, value } of group.resources) if (!indexOf.has(value.id)) indexOf.set(value.id, index);

  return findCycles([...edges.keys()], (id) => edges.get(id) ?? []).map((cycle) => {
    const [start] = cycle;
    const steps = cycle.map((id, i) => `${id} ${cycle[(i + 1) % cycle.length]}`);
    const note = steps.some((step) => implicit.has(step))
      ? " (a mount depends on its volume even when not listed)"
      : "";
    return {
      path: formatPath(["groups", group.index, "resources", indexOf.get(start ?? "") ?? 0, "dependsOn"]),
      message: `dependency cycle: ${[...cycle, start].join(" -> ")}${note}; remove one of these dependencies so the group can start.`,
    };
  });
}

export function checkReferences(definition: Salvage): DefinitionProblem[] {
  return definition.groups.flatMap((group) => [
    ...checkOwners(definition, group),
    ...checkDependencies(definition, group),
    ...checkCycles(group),
  ]);
}
