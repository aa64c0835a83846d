import { fileURLToPath } from "node:url";
import { ArnFormat, Aws, Duration, Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct, type IConstruct } from "constructs";
import { ALARM_EVENT } from "../core/controller/alarm-requests.js";
import { EVENT_SOURCE } from "../core/controller/integration-events.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import {
  controllerEc2ReadActions,
  controllerScope,
  controllerTableActions,
  type ControllerScope,
} from "./controller-permissions.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { dropRedundantRoleDependency, functionRole } from "./function-role.js";
import { bundlingFor, functionDefaults } from "./lambda-bundling.js";
import { controllerServiceName, env, ids, metricsNamespace } from "./names.js";

/** The controller handler's source, resolved from this file so it works from any working directory. */
export const controllerEntry = fileURLToPath(new URL("../../lambdas/controller.ts", import.meta.url));

/** The schedule: one invocation a minute, which makes a pass every `controllerTick` until shortly before the next. */
export const controllerRate = Duration.minutes(1);

/**
 * An invocation runs its passes for about a minute; the rest is room for the last pass to
 * finish. Reserved concurrency 1 keeps the next scheduled run from overlapping it.
 */
export const controllerTimeout = Duration.seconds(70);

/** A pass reads one partition and makes a few AWS calls; 512 MB gives arm64 the CPU for a quick cold start. */
export const controllerMemoryMb = 512;

/**
 * The shortest age EventBridge and Lambda accept: a scheduled event that could not be
 * delivered (or was throttled because the previous run still holds the only slot) is dropped
 * after a minute, when the next one is due anyway.
 */
export const controllerMaxEventAge = Duration.seconds(60);

/** A tag (key and value) on EC2 network interfaces. */
export interface NetworkInterfaceTag {
  readonly key: string;
  readonly value: string;
}

export interface ControllerFunctionProps {
  readonly source: ClusterDefinitionSource;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  /** @see FailoverClusterProps.networkInterfaceTag */
  readonly networkInterfaceTag?: NetworkInterfaceTag;
  /**
   * Emit the per-node `NodeDown` gauge (the per-node alarms need it).
   * @default true
   */
  readonly nodeMetrics?: boolean;
}

/**
 * The controller Lambda function, its log group, its role and the one-minute schedule that
 * invokes it.
 *
 * Runs never overlap or pile up: reserved concurrency 1, and neither Lambda nor EventBridge
 * retries a failed or throttled run (a late run must not act on a stale view; the next
 * scheduled run takes over within a minute).
 *
 * The role may change only what the definition names: the instances, volumes, Elastic IPs
 * and hosted zones of its groups (see `controllerScope`).
 */
export class ControllerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly schedule: events.Rule;
  /** The rule that brings the state changes of the alarms the groups name (`failoverOn`) to the controller, if any. */
  readonly alarmRule?: events.Rule;

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    super(scope, id);
    const { definition } = props.source;
    const permissions = new ControllerPermissions(this, definition, props.networkInterfaceTag);
    const ec2Statements = permissions.ec2Statements();
    const route53Statements = permissions.route53Statements();

    this.logGroup = new logs.LogGroup(this, ids.controllerLogs, { retention: props.logRetention });

    this.role = functionRole(this, ids.controllerRole, {
      description: "Baton controller: detects failed nodes and moves their groups' resources.",
      tableGrants: [{ actions: controllerTableActions }],
      table: props.table,
      logGroup: this.logGroup,
      policies: {
        Ec2: new iam.PolicyDocument({ statements: ec2Statements }),
        // Left out when no dns-record resource names a hosted zone: an empty policy document is invalid.
        ...(route53Statements.length > 0 ? { Route53: new iam.PolicyDocument({ statements: route53Statements }) } : {}),
      },
    });
    // sns:Publish on the topic, and kms:GenerateDataKey* and kms:Decrypt on its key (in the default policy).
    props.topic.grantPublish(this.role);
    // Integration events (docs/events.md): on the account's default bus, in the stack's region, source baton only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["events:PutEvents"],
        resources: [Stack.of(this).formatArn({ service: "events", resource: "event-bus", resourceName: "default" })],
        conditions: { StringEquals: { "events:source": [EVENT_SOURCE] } },
      }),
    );

    this.function = new nodejs.NodejsFunction(this, ids.controllerFunction, {
      description: `Baton controller for cluster ${definition.cluster}`,
      entry: controllerEntry,
      handler: "handler",
      ...functionDefaults,
      memorySize: controllerMemoryMb,
      timeout: controllerTimeout,
      reservedConcurrentExecutions: 1,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [env.tableName]: props.table.tableName,
        [env.topicArn]: props.topic.topicArn,
        [env.serviceName]: controllerServiceName,
        [env.metricsNamespace]: metricsNamespace,
        ...(props.nodeMetrics === false ? { [env.nodeMetrics]: "off" } : {}),
      },
      bundling: bundlingFor(props.source),
    });
    dropRedundantRoleDependency(this.function, this.role);
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: controllerMaxEventAge });

    this.schedule = new events.Rule(this, ids.controllerSchedule, {
      description: `Invokes the Baton controller of cluster ${definition.cluster} every minute.`,
      schedule: events.Schedule.rate(controllerRate),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: controllerMaxEventAge })],
    });

    const alarmArns = failoverAlarmArns(this, definition);
    if (alarmArns.length > 0) {
      // Only these alarms, only into ALARM. The target adds lambda:InvokeFunction for events.amazonaws.com from this
      // rule only (aws:SourceArn). Lambda retries an invocation throttled by the busy slot for up to the maximum
      // event age (60 s), and the handler takes such a late event as the minute's scheduled run.
      this.alarmRule = new events.Rule(this, ids.controllerAlarmRule, {
        description: `Brings the alarms that fail groups of Baton cluster ${definition.cluster} over to its controller.`,
        eventPattern: {
          source: [ALARM_EVENT.source],
          detailType: [ALARM_EVENT.detailType],
          resources: alarmArns,
          detail: { state: { value: ["ALARM"] } },
        },
        targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: controllerMaxEventAge })],
      });
      Validations.of(this.alarmRule).acknowledge({
        id: "Serverless-EventBusDLQ",
        reason:
          "An alarm event is delivered to the controller asynchronously and retried by Lambda while the controller's " +
          "one slot is busy, for up to 60 s; a later one would act on an alarm that may have cleared. A missed " +
          "request shows as an ALARM in the alarm's history with no AlarmFailoverRequests in the controller's metrics.",
      });
    }

    this.acknowledgeFindings(permissions);
  }

  private acknowledgeFindings(permissions: ControllerPermissions): void {
    const dropped =
      "Scheduled invocations are dropped on purpose when they fail or are throttled (no retry, maximum event " +
      "age 60 s): a late controller run must not act on a stale view, and the next scheduled run takes over " +
      "within a minute.";
    Validations.of(this.function).acknowledge(
      { id: "Serverless-LambdaDLQ", reason: dropped },
      {
        id: "Serverless-LambdaAsyncFailureDestination",
        reason:
          `${dropped} The only asynchronous events are the schedule's, which carry nothing to replay; a failed ` +
          "run is in the function's logs and errors metric.",
      },
    );
    Validations.of(this.schedule).acknowledge({ id: "Serverless-EventBusDLQ", reason: dropped });

    if (permissions.wildcards.some(({ resource }) => resource === "*")) {
      Validations.of(this.role).acknowledge({
        id: "Serverless-LambdaStarPermissions",
        reason:
          "The only statement on '*' allows EC2 DescribeInstances, DescribeVolumes and DescribeAddresses, which " +
          "do not support resource-level permissions, in the definition's region only (aws:RequestedRegion); " +
          "every EC2 and Route 53 change is limited to the ARNs the definition names.",
      });
    }

    for (const { resource, reason } of permissions.wildcards) {
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
    // Tracing.ACTIVE and grantPublish fill the role's default policy.
    const defaultPolicy = this.role.node.tryFindChild("DefaultPolicy");
    if (defaultPolicy !== undefined) {
      Validations.of(defaultPolicy).acknowledge(
        {
          id: "AwsSolutions-IAM5[Resource::*]",
          reason:
            "X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; " +
            "the service authorization reference lists '*' as their only resource.",
        },
        {
          id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
          reason:
            "Publishing to the encrypted topic needs kms:GenerateDataKey (SNS asks for a data key); the grant is on " +
            "the topic's own key only, and GenerateDataKey* is what Topic.grantPublish gives.",
        },
      );
    }
  }
}

/**
 * The ARNs of the alarms the groups name in `failoverOn`: an ARN as written, a name in the stack's region and account.
 */
export function failoverAlarmArns(scope: IConstruct, definition: ClusterDefinition): string[] {
  const arns = definition.groups.flatMap((group) =>
    group.failoverOn.map(({ alarm }) =>
      Stack.of(scope).formatArn({
        service: "cloudwatch",
        resource: "alarm",
        resourceName: alarm,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ),
  );
  return [...new Set(arns)];
}

/** The controller's EC2 and Route 53 statements, and the wildcard resources among them with the reason for each. */
class ControllerPermissions {
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
