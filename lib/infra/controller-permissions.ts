import type { ClusterDefinition, Ec2Node, GroupDefinition, NodeId } from "../core/definition/types.js";

/**
 * The table actions the controller uses: one Query reads the state partition; conditional writes; the log.
 * A group write based on node reports is a TransactWriteItems, authorized action by action: its Put as
 * PutItem, its checks of the node items as ConditionCheckItem.
 */
export const controllerTableActions = [
  "dynamodb:Query",
  "dynamodb:UpdateItem",
  "dynamodb:PutItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:BatchWriteItem",
] as const;

/**
 * EC2 reads. None of them supports resource-level permissions: their only resource is `*`, so they are kept to
 * the definition's region (`aws:RequestedRegion`) instead.
 */
export const controllerEc2ReadActions = [
  "ec2:DescribeInstances",
  "ec2:DescribeVolumes",
  "ec2:DescribeAddresses",
] as const;

/** A hosted zone the controller changes, with the record names (lower case) it may UPSERT there. */
export interface HostedZoneScope {
  readonly hostedZoneId: string;
  readonly recordNames: readonly string[];
}

/**
 * What the controller may change, named by id, as the definition says. Every list is in
 * definition order without duplicates; an empty list means the statement is left out.
 */
export interface ControllerScope {
  /** EC2 owners of groups fenced with `stop-instance`: `ec2:StopInstances`. */
  readonly stopInstanceIds: readonly string[];
  /** Volumes of ebs-volume resources: `ec2:AttachVolume`, `ec2:DetachVolume`. */
  readonly volumeIds: readonly string[];
  /** EC2 owners of the groups with an ebs-volume resource (the instance side of attach and detach). */
  readonly volumeOwnerInstanceIds: readonly string[];
  /** Allocation ids of elastic-ip resources: `ec2:AssociateAddress`. */
  readonly allocationIds: readonly string[];
  /** EC2 owners of the groups with an elastic-ip resource (the instance side of AssociateAddress). */
  readonly addressOwnerInstanceIds: readonly string[];
  /**
   * The availability zones of those owners: the instance's network interface, also evaluated by AssociateAddress,
   * is in its instance's zone.
   */
  readonly addressOwnerZones: readonly string[];
  /** Hosted zones of dns-record resources, in order of first use. */
  readonly hostedZones: readonly HostedZoneScope[];
}

/** The ids the controller's EC2 and Route 53 statements name, computed from the definition. */
export function controllerScope(definition: ClusterDefinition): ControllerScope {
  const ec2Nodes = new Map<NodeId, Ec2Node>();
  for (const node of definition.nodes) if (node.kind === "ec2") ec2Nodes.set(node.id, node);
  const ownerNodes = (groups: readonly GroupDefinition[]): Ec2Node[] =>
    groups.flatMap((group) => group.preferredOwners.flatMap((owner) => ec2Nodes.get(owner) ?? []));
  const ownerInstances = (groups: readonly GroupDefinition[]): string[] =>
    unique(ownerNodes(groups).map((node) => node.instanceId));
  const withType = (type: string): GroupDefinition[] =>
    definition.groups.filter((group) => group.resources.some((resource) => resource.type === type));

  const resources = definition.groups.flatMap((group) => group.resources);
  const addresses = withType("elastic-ip");
  const zones = new Map<string, Set<string>>();
  for (const resource of resources) {
    if (resource.type !== "dns-record") continue;
    const names = zones.get(resource.hostedZoneId) ?? new Set<string>();
    // route53:ChangeResourceRecordSetsNormalizedRecordNames holds names in lower case, without the final dot.
    names.add(resource.name.toLowerCase().replace(/\.$/, ""));
    zones.set(resource.hostedZoneId, names);
  }

  return {
    stopInstanceIds: ownerInstances(definition.groups.filter((group) => group.fencing === "stop-instance")),
    volumeIds: unique(resources.flatMap((resource) => (resource.type === "ebs-volume" ? [resource.volumeId] : []))),
    volumeOwnerInstanceIds: ownerInstances(withType("ebs-volume")),
    allocationIds: unique(
      resources.flatMap((resource) => (resource.type === "elastic-ip" ? [resource.allocationId] : [])),
    ),
    addressOwnerInstanceIds: ownerInstances(addresses),
    addressOwnerZones: unique(ownerNodes(addresses).map((node) => node.availabilityZone)).sort(),
    hostedZones: [...zones].map(([hostedZoneId, names]) => ({ hostedZoneId, recordNames: [...names] })),
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
