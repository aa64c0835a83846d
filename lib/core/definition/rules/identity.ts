/** Things that must be unique: ids, and the AWS resources that only one owner may hold. */
import { show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

interface Claim {
  /** What must be unique. */
  readonly key: string;
  /** Where the claim is written, as path segments. */
  readonly at: readonly (string | number)[];
  /** Who claims it, for the message, such as `groups[0].resources[0] (data)`. */
  readonly owner: string;
}

/** Every claim after the first on the same key is a problem; `explain` words the rest of the message. */
function duplicates(claims: readonly Claim[], explain: (value: string, first: Claim) => string): DefinitionProblem[] {
  const first = new Map<string, Claim>();
  const problems: DefinitionProblem[] = [];
  for (const claim of claims) {
    const earlier = first.get(claim.key);
    if (earlier === undefined) first.set(claim.key, claim);
    else problems.push({ path: formatPath(claim.at), message: explain(claim.key, earlier) });
  }
  return problems;
}

export function checkIdentity(definition: Salvage): DefinitionProblem[] {
  const nodes = definition.nodes.map(({ index, value }) => ({ node: value, at: ["nodes", index] as const }));
  const resources = definition.groups.flatMap((group) =>
    group.resources.map(({ index, value }) => ({
      resource: value,
      group: group.index,
      at: ["groups", group.index, "resources", index] as const,
    })),
  );
  const owner = (at: readonly (string | number)[], id: string) => `${formatPath(at)} (${id})`;

  const problems = [
    ...duplicates(
      nodes.map(({ node, at }) => ({ key: node.id, at: [...at, "id"], owner: formatPath(at) })),
      (id, first) => `${show(id)} is already the id of ${first.owner}; give each node its own id.`,
    ),
    ...duplicates(
      definition.groups.flatMap((group) =>
        group.id === undefined
          ? []
          : [{ key: group.id, at: ["groups", group.index, "id"], owner: `groups[${group.index}]` }],
      ),
      (id, first) => `${show(id)} is already the id of ${first.owner}; give each group its own id.`,
    ),
    ...duplicates(
      resources.map(({ resource, at }) => ({ key: resource.id, at: [...at, "id"], owner: formatPath(at) })),
      (id, first) =>
        `${show(id)} is already the id of ${first.owner}; resource ids must be unique across the whole cluster, because heartbeats report resources by id. Rename one.`,
    ),
    ...duplicates(
      nodes.flatMap(({ node, at }) =>
        node.kind === "ec2" ? [{ key: node.instanceId, at: [...at, "instanceId"], owner: owner(at, node.id) }] : [],
      ),
      (value, first) => `${show(value)} is already the instance of ${first.owner}; each EC2 node is its own instance.`,
    ),
    ...duplicates(
      nodes.flatMap(({ node, at }) =>
        node.kind === "onprem" ? [{ key: node.principal, at: [...at, "principal"], owner: owner(at, node.id) }] : [],
      ),
      (value, first) =>
        `${show(value)} is already the principal of ${first.owner}; each on-premise node needs its own IAM identity, or one node could heartbeat for another.`,
    ),
    ...duplicates(
      resources.flatMap(({ resource, at }) =>
        resource.type === "ebs-volume"
          ? [{ key: resource.volumeId, at: [...at, "volumeId"], owner: owner(at, resource.id) }]
          : [],
      ),
      (value, first) =>
        `${show(value)} is already managed by ${first.owner}; a volume belongs to one resource, or two groups would fight over it.`,
    ),
    ...duplicates(
      resources.flatMap(({ resource, at }) =>
        resource.type === "elastic-ip"
          ? [{ key: resource.allocationId, at: [...at, "allocationId"], owner: owner(at, resource.id) }]
          : [],
      ),
      (value, first) =>
        `${show(value)} is already managed by ${first.owner}; an Elastic IP belongs to one resource, or two groups would fight over it.`,
    ),
    ...duplicates(
      resources.flatMap(({ resource, at }) =>
        resource.type === "dns-record"
          ? [{ key: `${resource.hostedZoneId} ${resource.name}`, at: [...at, "name"], owner: owner(at, resource.id) }]
          : [],
      ),
      (value, first) =>
        `record ${value.replace(" ", ":")} (hosted zone and name) is already managed by ${first.owner}; two resources would overwrite each other's record.`,
    ),
  ];

  for (const group of definition.groups) {
    problems.push(
      ...duplicates(
        group.resources.flatMap(({ index, value }) =>
          value.type === "ebs-volume"
            ? [
                {
                  key: value.device,
                  at: ["groups", group.index, "resources", index, "device"],
                  owner: owner(["groups", group.index, "resources", index], value.id),
                },
              ]
            : [],
        ),
        (device, first) =>
          `${show(device)} is already the device of ${first.owner}; give each volume of a group its own device.`,
      ),
    );
  }
  return problems;
}
