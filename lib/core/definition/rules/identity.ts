/** Things that must be unique: ids, and the AWS resources that only one owner may hold. */
import { show } from "../messages.js";
import { formatPath } from "../path.js";
import { parsePrincipal, principalKey } from "../principal.js";
import type { Salvage, SalvagedNode, SalvagedResource } from "../salvage.js";
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
    ...checkPrincipals(nodes),
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

interface PrincipalClaim {
  readonly node: SalvagedNode;
  readonly at: readonly (string | number)[];
  readonly principal: string;
  readonly key: string;
  readonly type: "role" | "user";
}

/**
 * Each node's principal is its own IAM identity, compared as IAM compares them (by name, without path
 * or case; lib/core/definition/principal.ts). EC2 nodes may share one instance role, as its sessions
 * are told apart by instance id, but must write it the same way; an on-premise node accepts any session
 * of its role, so it shares its principal with no other node. A pinned unique id belongs to one principal.
 */
function checkPrincipals(
  nodes: readonly { node: SalvagedNode; at: readonly (string | number)[] }[],
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const byKey = new Map<string, PrincipalClaim>();
  const byId = new Map<string, PrincipalClaim>();
  const idOf = new Map<string, { id: string; claim: PrincipalClaim }>();
  for (const { node, at } of nodes) {
    const parsed = node.principal === undefined ? undefined : parsePrincipal(node.principal);
    if (node.principal === undefined || parsed === undefined) continue;
    const claim: PrincipalClaim = { node, at, principal: node.principal, key: principalKey(parsed), type: parsed.type };
    const earlier = byKey.get(claim.key);
    if (earlier === undefined) byKey.set(claim.key, claim);
    else {
      const firstWhere = `${formatPath([...earlier.at, "principal"])} (${earlier.node.id ?? "?"})`;
      const sameText = earlier.principal === claim.principal;
      const written = sameText
        ? ""
        : ` (${show(earlier.principal)} there): IAM tells ${claim.type}s of an account apart by name alone, whatever their path or case, so both name one ${claim.type}`;
      if (node.kind === "ec2" && earlier.node.kind === "ec2") {
        if (!sameText) {
          problems.push({
            path: formatPath([...at, "principal"]),
            message: `${show(claim.principal)} names the role of ${firstWhere}, written differently${written}; EC2 nodes may share an instance role, but write its ARN the same way for each.`,
          });
        }
      } else {
        problems.push({
          path: formatPath([...at, "principal"]),
          message: `${show(claim.principal)} names the same IAM ${claim.type} as ${firstWhere}${written}. An on-premise node accepts any session of its role, so one node could heartbeat for another: give each on-premise node its own IAM ${claim.type}, not shared with any other node.`,
        });
      }
    }
    if (node.principalId === undefined) continue;
    const idAt = formatPath([...at, "principalId"]);
    const kindOfId = node.principalId.startsWith("AROA") ? "role" : "user";
    if (kindOfId !== claim.type) {
      problems.push({
        path: idAt,
        message: `${show(node.principalId)} is ${kindOfId === "role" ? "a role's unique id (AROA…)" : "a user's unique id (AIDA…)"}, but principal names a ${claim.type}; give the ${claim.type}'s own id (${claim.type === "role" ? "aws iam get-role --role-name NAME --query Role.RoleId" : "aws iam get-user --user-name NAME --query User.UserId"}), or remove principalId.`,
      });
      continue;
    }
    const sameId = byId.get(node.principalId);
    const pinned = idOf.get(claim.key);
    if (sameId !== undefined && sameId.key !== claim.key) {
      problems.push({
        path: idAt,
        message: `${show(node.principalId)} is already the principalId of ${formatPath([...sameId.at, "principalId"])} (${sameId.node.id ?? "?"}), whose principal is another ${claim.type}; a unique id names one ${claim.type}: check which one is wrong.`,
      });
    } else if (pinned !== undefined && pinned.id !== node.principalId) {
      problems.push({
        path: idAt,
        message: `${show(node.principalId)} differs from the principalId ${show(pinned.id)} of ${formatPath([...pinned.claim.at, "principalId"])} (${pinned.claim.node.id ?? "?"}) for the same ${claim.type}; one ${claim.type} has one unique id: check which one is wrong.`,
      });
    }
    if (sameId === undefined) byId.set(node.principalId, claim);
    if (pinned === undefined) idOf.set(claim.key, { id: node.principalId, claim });
  }
  return problems;
}
