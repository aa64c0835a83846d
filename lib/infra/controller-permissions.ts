import { Aws, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
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

/** A tag (key and value) on EC2 network interfaces. */
export interface NetworkInterfaceTag {
  readonly key: string;
  readonly value: string;
}

/** The controller's EC2 and Route 53 statements, and the wildcard resources among them with the reason for each. */
export class ControllerPermissions {
  readonly wildcards: { resource: string; reason: string }[] = [];
  private readonly construct: IConstruct;
  private readonly region: string;
  private readonly scope: ControllerScope;
  private readonly networkInterfaceTag: NetworkInterfaceTag | undefined;

  constructor(
    construct: IConstruct,
    definition: ClusterDefinition,
    networkInterfaceTag: NetworkInterfaceTag | undefined,
  ) {
    this.construct = construct;
    this.networkInterfaceTag = networkInterfaceTag;
    this.region = definition.region;
    this.scope = controllerScope(definition);
  }

  ec2Statements(): iam.PolicyStatement[] {
    const {
      stopInstanceIds,
      volumeIds,
      volumeOwnerInstanceIds,
      allocationIds,
      addressOwnerInstanceIds,
      addressOwnerZones,
    } = this.scope;
    const statements = [
      new iam.PolicyStatement({
        actions: [...controllerEc2ReadActions],
        resources: [
          this.wildcard(
            "*",
            "EC2 DescribeInstances, DescribeVolumes and DescribeAddresses do not support resource-level " +
              "permissions; the service authorization reference lists '*' as their only resource. They are " +
              "limited to the definition's region by aws:RequestedRegion.",
          ),
        ],
        // The controller's EC2 client calls the function's region, which is the definition's (bin/app.ts deploys
        // the stack there; the EC2 ARNs below are in that region too).
        conditions: { StringEquals: { "aws:RequestedRegion": this.region } },
      }),
    ];
    if (stopInstanceIds.length > 0) {
      // Fencing: the old owner of a stop-instance group is stopped before its resources move.
      statements.push(
        new iam.PolicyStatement({ actions: ["ec2:StopInstances"], resources: stopInstanceIds.map(this.instanceArn) }),
      );
    }
    if (volumeIds.length > 0) {
      // Both the volume and the instance are resources of AttachVolume and DetachVolume. IAM authorizes each
      // resource of a request on its own (no condition key of one names the other), so no policy can pair a
      // volume with the owners of its own group: one statement per volume would allow exactly what this one does.
      statements.push(
        new iam.PolicyStatement({
          actions: ["ec2:AttachVolume", "ec2:DetachVolume"],
          resources: [
            ...volumeIds.map((volumeId) => this.ec2Arn("volume", volumeId)),
            ...volumeOwnerInstanceIds.map(this.instanceArn),
          ],
        }),
      );
    }
    if (allocationIds.length > 0) {
      // AssociateAddress is evaluated on the Elastic IP, the instance and the instance's network interface, each
      // on its own. The controller names the instance (lib/aws/ec2.ts), but a call naming a network interface
      // instead need not name an instance, so the interfaces are kept to the owners' zones (and, with
      // networkInterfaceTag, to the interfaces carrying the tag).
      const networkInterfaces = this.wildcard(
        this.ec2Arn("network-interface", "*"),
        "AssociateAddress is also authorized on the network interface of the instance, whose id is not known " +
          "before deployment; the interfaces are limited to the zones of the instances that may receive the " +
          "addresses (ec2:AvailabilityZone) and, with networkInterfaceTag, to the interfaces that carry that tag; " +
          "the addresses and instances are named one by one.",
      );
      statements.push(
        new iam.PolicyStatement({
          actions: ["ec2:AssociateAddress"],
          resources: [
            ...allocationIds.map((allocationId) => this.ec2Arn("elastic-ip", allocationId)),
            ...addressOwnerInstanceIds.map(this.instanceArn),
          ],
        }),
        // Its own statement: the condition key exists on the network interface only, and would refuse the others.
        new iam.PolicyStatement({
          actions: ["ec2:AssociateAddress"],
          resources: [networkInterfaces],
          conditions: {
            StringEquals: {
              "ec2:AvailabilityZone": [...addressOwnerZones],
              ...(this.networkInterfaceTag === undefined
                ? {}
                : { [`aws:ResourceTag/${this.networkInterfaceTag.key}`]: this.networkInterfaceTag.value }),
            },
          },
        }),
      );
    }
    return statements;
  }

  route53Statements(): iam.PolicyStatement[] {
    const { hostedZones } = this.scope;
    if (hostedZones.length === 0) return [];
    const zoneArn = (hostedZoneId: string): string =>
      Stack.of(this.construct).formatArn({
        service: "route53",
        region: "",
        account: "",
        resource: "hostedzone",
        resourceName: hostedZoneId,
      });
    return [
      // UPSERT of the A records of the definition only, one statement per zone with its own names.
      ...hostedZones.map(
        ({ hostedZoneId, recordNames }) =>
          new iam.PolicyStatement({
            actions: ["route53:ChangeResourceRecordSets"],
            resources: [zoneArn(hostedZoneId)],
            conditions: {
              "ForAllValues:StringEquals": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [...recordNames],
                "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
                "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
              },
            },
          }),
      ),
      new iam.PolicyStatement({
        actions: ["route53:ListResourceRecordSets"],
        resources: hostedZones.map(({ hostedZoneId }) => zoneArn(hostedZoneId)),
      }),
      new iam.PolicyStatement({
        actions: ["route53:GetChange"],
        resources: [
          this.wildcard(
            `arn:${Aws.PARTITION}:route53:::change/*`,
            "GetChange polls the change an UPSERT returned; change ids are only known at run time, and a change " +
              "id reveals nothing but whether that change has propagated.",
          ),
        ],
      }),
    ];
  }

  private readonly instanceArn = (instanceId: string): string => this.ec2Arn("instance", instanceId);

  /** An EC2 ARN in the definition's region (where its instances, volumes and addresses are). */
  private ec2Arn(resource: string, resourceName: string): string {
    return Stack.of(this.construct).formatArn({
      service: "ec2",
      region: this.region,
      resource,
      resourceName,
    });
  }

  /** Records a wildcard resource with its reason, under the name cdk-nag's AwsSolutions-IAM5 gives it. */
  private wildcard(resource: string, reason: string): string {
    this.wildcards.push({ resource: nagResourceName(Stack.of(this.construct).resolve(resource)), reason });
    return resource;
  }
}

/**
 * A resolved CloudFormation value written as cdk-nag writes resources in finding ids:
 * `{ Ref: X }` as `<X>`, `Fn::GetAtt` as `<X.Attr>`, `Fn::Join` joined.
 */
function nagResourceName(value: unknown): string {
  if (typeof value === "string") return value;
  const node = value as Record<string, unknown>;
  if (typeof node.Ref === "string") return `<${node.Ref}>`;
  const getAtt = node["Fn::GetAtt"];
  if (Array.isArray(getAtt)) return `<${getAtt.join(".")}>`;
  const join = node["Fn::Join"] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(nagResourceName).join(join[0]);
  throw new Error(`cannot name ${JSON.stringify(value)} as cdk-nag does`);
}
