/** The checks FailoverCluster makes of its props against the definition and the stack, with errors naming the prop. */
import { Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { parsePrincipal, principalKey } from "../core/definition/principal.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import type { ClusterAlarmsProps } from "./cluster-alarms.js";
import type { NetworkInterfaceTag } from "./controller-function.js";

/** EC2's tag rules: key 1-128 characters, not starting with `aws:` (reserved); value at most 256 characters. */
export function checkNetworkInterfaceTag({ key, value }: NetworkInterfaceTag): void {
  const problem =
    key.length < 1 || key.length > 128
      ? `networkInterfaceTag.key must be 1 to 128 characters (it has ${key.length})`
      : key.toLowerCase().startsWith("aws:")
        ? `networkInterfaceTag.key must not start with "aws:" (reserved for AWS's own tags): ${JSON.stringify(key)}`
        : value.length > 256
          ? `networkInterfaceTag.value must be at most 256 characters (it has ${value.length})`
          : undefined;
  if (problem !== undefined) throw new Error(`FailoverCluster: ${problem}.`);
}

/**
 * The controller's EC2 permissions name the definition's region (ARNs, aws:RequestedRegion) and its EC2 client calls
 * the function's own region: a stack elsewhere would deploy a controller that may not touch the cluster's instances.
 * An environment-agnostic stack (region unknown until deployment) must be deployed to the definition's region.
 */
export function checkRegion(cluster: string, definitionRegion: string, stackRegion: string): void {
  if (Token.isUnresolved(stackRegion) || stackRegion === definitionRegion) return;
  throw new Error(
    `FailoverCluster: the stack is in region ${stackRegion}, but cluster "${cluster}" is in ${definitionRegion} ` +
      "(its definition's region); deploy the stack to that region.",
  );
}

export function checkNodeRoles(
  cluster: string,
  nodeIds: ReadonlySet<string>,
  roles: readonly [string, iam.IRole][],
): void {
  const unknown = roles.map(([nodeId]) => nodeId).filter((nodeId) => !nodeIds.has(nodeId));
  if (unknown.length === 0) return;
  const known = [...nodeIds].map((nodeId) => JSON.stringify(nodeId)).join(", ");
  throw new Error(
    `FailoverCluster nodeRoles: ${unknown.map((nodeId) => JSON.stringify(nodeId)).join(", ")} ` +
      `${unknown.length === 1 ? "is not a node" : "are not nodes"} of cluster "${cluster}" (its nodes: ${known}).`,
  );
}

/**
 * The unique ids of the node roles the app creates, for every node whose principal is such a role
 * (EC2 nodes may share one). A role's unique id is known only at deploy (a token), and only for a role
 * created in the app; an imported role's is not known, and neither is the name of a role without
 * `roleName`, so neither is pinned. A node whose definition gives `principalId` keeps it.
 */
export function pinnedRoleIds(
  definition: ClusterDefinition,
  roles: readonly [string, iam.IRole][],
): Record<string, string> {
  const pinned: Record<string, string> = {};
  for (const [nodeId, role] of roles) {
    const node = definition.nodes.find((candidate) => candidate.id === nodeId);
    if (node === undefined || !(role instanceof iam.Role)) continue;
    // The name written in the role's template (`role.roleName` is a token even when `roleName` was given).
    const name = (role.node.defaultChild as iam.CfnRole).roleName;
    if (name === undefined || Token.isUnresolved(name)) continue;
    const principal = parsePrincipal(node.principal);
    if (principal?.type !== "role" || principal.name.toLowerCase() !== name.toLowerCase()) {
      throw new Error(
        `FailoverCluster nodeRoles: the role given for node "${nodeId}", "${name}", is not its principal ` +
          `${node.principal}: its heartbeats would be refused. Give the node's own role, or correct its principal.`,
      );
    }
    const key = principalKey(principal);
    for (const other of definition.nodes) {
      const otherPrincipal = parsePrincipal(other.principal);
      if (other.principalId === undefined && otherPrincipal !== undefined && principalKey(otherPrincipal) === key) {
        pinned[other.id] = role.roleId;
      }
    }
  }
  return pinned;
}

/** Per-node alarms watch the per-node gauge, which only detailed metrics publish: asked for without them, say so. */
export function checkNodeDownAlarms(
  alarms: ClusterAlarmsProps | undefined,
  detailedMetrics: boolean | undefined,
): void {
  const tuning = alarms?.nodeDown;
  if (tuning === undefined || tuning === false || detailedMetrics === true) return;
  throw new Error(
    "FailoverCluster: alarms.nodeDown (one alarm per node) needs detailedMetrics: true, which publishes the per-node " +
      "NodeDown gauge it watches ($0.30 and $0.10 a month per node). Without it, the cluster-wide alarms.nodesDown " +
      "fires when any node is down (the notification and `baton status` name it).",
  );
}
