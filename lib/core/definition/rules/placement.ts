/**
 * Where a group can run: EBS volumes stay in one availability zone and attach only to
 * EC2 instances, Elastic IPs associate only with EC2 instances, and stop-instance fencing
 * can only stop EC2 instances.
 */
import { choices, show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage, SalvagedGroup, SalvagedNode } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

function checkZones(definition: Salvage): DefinitionProblem[] {
  const { region } = definition;
  if (region === undefined) return [];
  return definition.nodes.flatMap(({ index, kind, availabilityZone }) =>
    kind === "ec2" && availabilityZone !== undefined && availabilityZone.slice(0, -1) !== region
      ? [
          {
            path: formatPath(["nodes", index, "availabilityZone"]),
            message: `${show(availabilityZone)} is not in the cluster's region ${region}; name a zone of ${region}, such as ${region}a.`,
          },
        ]
      : [],
  );
}

function checkGroup(group: SalvagedGroup, nodes: ReadonlyMap<string, SalvagedNode>): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const at = ["groups", group.index] as const;
  const name = group.id === undefined ? `groups[${group.index}]` : `group ${show(group.id)}`;
  const volumes = group.resources.flatMap(({ type, id }) => (type === "ebs-volume" ? [id ?? "?"] : []));
  const ec2Only = group.resources.flatMap(({ type, id }) =>
    type === "ebs-volume" || type === "elastic-ip" ? [`${type} ${id ?? "?"}`] : [],
  );
  const owners = (group.preferredOwners ?? []).flatMap((id, position) => {
    const node = nodes.get(id);
    return node === undefined ? [] : [{ node, position }];
  });
  const onprem = owners.filter(({ node }) => node.kind === "onprem");

  if (ec2Only.length > 0) {
    for (const { node, position } of onprem) {
      problems.push({
        path: formatPath([...at, "preferredOwners", position]),
        message: `${show(node.id)} is an on-premise node, but ${name} holds ${choices(ec2Only)}, which only work with EC2 instances; remove the node from preferredOwners or move it to a group without them.`,
      });
    }
  }

  if (volumes.length > 0) {
    const zones = new Map<string, string[]>();
    for (const { node } of owners) {
      if (node.kind !== "ec2" || node.availabilityZone === undefined) continue;
      zones.set(node.availabilityZone, [...(zones.get(node.availabilityZone) ?? []), node.id ?? "?"]);
    }
    if (zones.size > 1) {
      const found = [...zones].map(([zone, ids]) => `${zone}: ${ids.join(", ")}`).join("; ");
      problems.push({
        path: formatPath([...at, "preferredOwners"]),
        message: `the preferred owners are in ${zones.size} availability zones (${found}), but ebs-volume ${choices(volumes)} cannot leave the zone it was created in; list only EC2 nodes of the volume's zone.`,
      });
    }
  }

  if (group.fencing === "stop-instance" && onprem.length > 0) {
    problems.push({
      path: formatPath([...at, "fencing"]),
      message: `"stop-instance" cannot fence the on-premise node ${choices(onprem.map(({ node }) => node.id ?? "?"))}: Baton can stop only EC2 instances; use fencing: none, or list only EC2 nodes.`,
    });
  }
  if (group.fencing === "none" && volumes.length > 0) {
    problems.push({
      path: formatPath([...at, "fencing"]),
      message: `"none" on ${name}, which holds ebs-volume ${choices(volumes)}: without stopping the old owner, two nodes could write the disk at once and corrupt it; use fencing: stop-instance (the default here).`,
    });
  }
  return problems;
}

export function checkPlacement(definition: Salvage): DefinitionProblem[] {
  const nodes = new Map<string, SalvagedNode>();
  for (const node of definition.nodes) if (node.id !== undefined && !nodes.has(node.id)) nodes.set(node.id, node);
  return [...checkZones(definition), ...definition.groups.flatMap((group) => checkGroup(group, nodes))];
}
