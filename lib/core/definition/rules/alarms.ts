/** Alarm-driven failover: the alarms a group names must be in the cluster's region, about one of its owners. */
import { choices, show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

export function checkAlarms(definition: Salvage): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const group of definition.groups) {
    const seen = new Set<string>();
    group.failoverOn?.forEach((entry, position) => {
      if (entry === undefined) return;
      const path = formatPath(["groups", group.index, "failoverOn", position]);
      if (entry.region !== undefined && definition.region !== undefined && entry.region !== definition.region) {
        problems.push({
          path,
          message: `${show(entry.alarm)} is in region ${entry.region}, not the cluster's region ${definition.region}; an alarm's state changes reach the controller only from its own region: name an alarm of ${definition.region}.`,
        });
      }
      const owners = group.preferredOwners ?? [];
      if (entry.node !== undefined && group.preferredOwners !== undefined && !owners.includes(entry.node)) {
        problems.push({
          path: formatPath(["groups", group.index, "failoverOn", position, "node"]),
          message: `${show(entry.node)} is not a preferred owner of the group; name one of: ${choices(owners)}.`,
        });
      }
      const key = `${entry.name}\u0000${entry.node ?? ""}`;
      if (seen.has(key)) {
        problems.push({ path, message: `alarm ${show(entry.name)} is listed twice; list each alarm once.` });
      }
      seen.add(key);
    });
  }
  return problems;
}
