/** Things that must be unique: ids, and the AWS resources that only one owner may hold. */
import { show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage, SalvagedResource } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

interface Claim {
  /** What must be unique; claims without a key are skipped. */
  readonly key: string | undefined;
  /** Where the claim is written, as path segments. */
  readonly at: readonly (string | number)[];
  /** Who claims it, for the message, such as `groups[0].resources[0] (data)`. */
  readonly owner: string;
}

/** Every claim after the first on the same key is a problem; `explain` words the message. */
function duplicates(claims: readonly Claim[], explain: (value: string, first: Claim) => string): DefinitionProblem[] {
  const first = new Map<string, Claim>();
  const problems: DefinitionProblem[] = [];
  for (const claim of claims) {
    if (claim.key === undefined) continue;
    const earlier = first.get(claim.key);
    if (earlier === undefined) first.set(claim.key, claim);
    else problems.push({ path: formatPath(claim.at), message: explain(claim.key, earlier) });
  }
  return problems;
}

function named(at: readonly (string | number)[], id: string | undefined): string {
  return id === undefined ? formatPath(at) : `${formatPath(at)} (${id})`;
}

interface Placed {
  readonly resource: SalvagedResource;
  readonly at: readonly (string | number)[];
}

/** Claims on one field of every resource of `type`. */
function resourceClaims(
  resources: readonly Placed[],
  type: string,
  field: "volumeId" | "allocationId" | "name" | "device",
  key: (resource: SalvagedResource) => string | undefined = (resource) => resource[field],
): Claim[] {
  return resources
    .filter(({ resource }) => resource.type === type)
    .map(({ resource, at }) => ({ key: key(resource), at: [...at, field], owner: named(at, resource.id) }));
}

export function checkIdentity(definition: Salvage): DefinitionProblem[] {
  const nodes = definition.nodes.map((node) => ({ node, at: ["nodes", node.index] as const }));
  const byGroup = definition.groups.map((group) =>
    group.resources.map((resource) => ({
      resource,
      at: ["groups", group.index, "resources", resource.index] as const,
    })),
  );
  const resources = byGroup.flat();
  const taken = "two groups would fight over it";

  return [
    ...duplicates(
      nodes.map(({ node, at }) => ({ key: node.id, at: [...at, "id"], owner: formatPath(at) })),
      (id, first) => `${show(id)} is already the id of ${first.owner}; give each node its own id.`,
    ),
    ...duplicates(
      definition.groups.map((group) => ({
        key: group.id,
        at: ["groups", group.index, "id"],
        owner: `groups[${group.index}]`,
      })),
      (id, first) => `${show(id)} is already the id of ${first.owner}; give each group its own id.`,
    ),
    ...duplicates(
      resources.map(({ resource, at }) => ({ key: resource.id, at: [...at, "id"], owner: formatPath(at) })),
      (id, first) =>
        `${show(id)} is already the id of ${first.owner}; resource ids must be unique across the whole cluster, because heartbeats report resources by id. Rename one.`,
    ),
    ...duplicates(
      nodes
        .filter(({ node }) => node.kind === "ec2")
        .map(({ node, at }) => ({ key: node.instanceId, at: [...at, "instanceId"], owner: named(at, node.id) })),
      (value, first) => `${show(value)} is already the instance of ${first.owner}; each EC2 node is its own instance.`,
    ),
    ...duplicates(
      nodes
        .filter(({ node }) => node.kind === "onprem")
        .map(({ node, at }) => ({ key: node.principal, at: [...at, "principal"], owner: named(at, node.id) })),
      (value, first) =>
        `${show(value)} is already the principal of ${first.owner}; give each on-premise node its own IAM identity, or one node could heartbeat for another.`,
    ),
    ...duplicates(
      resourceClaims(resources, "ebs-volume", "volumeId"),
      (value, first) => `${show(value)} is already managed by ${first.owner}; name each volume once, or ${taken}.`,
    ),
    ...duplicates(
      resourceClaims(resources, "elastic-ip", "allocationId"),
      (value, first) => `${show(value)} is already managed by ${first.owner}; name each Elastic IP once, or ${taken}.`,
    ),
    ...duplicates(
      resourceClaims(resources, "dns-record", "name", ({ hostedZoneId, name }) =>
        hostedZoneId === undefined || name === undefined ? undefined : `${name} in hosted zone ${hostedZoneId}`,
      ),
      (value, first) =>
        `record ${value} is already managed by ${first.owner}; name each record once, or two resources would overwrite each other's record.`,
    ),
    ...byGroup.flatMap((group) =>
      duplicates(
        resourceClaims(group, "ebs-volume", "device"),
        (device, first) =>
          `${show(device)} is already the device of ${first.owner}; give each volume of a group its own device.`,
      ),
    ),
  ];
}
