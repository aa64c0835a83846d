import { fileURLToPath } from "node:url";
import { ArnFormat, Duration, Stack, Validations } from "aws-cdk-lib";
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
import { ControllerPermissions, controllerTableActions, type NetworkInterfaceTag } from "./controller-permissions.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { CONTROLLER_SCHEDULE_MINUTES } from "./schedule.js";
import { dropRedundantRoleDependency, functionRole } from "./function-role.js";
import { bundlingFor, functionDefaults } from "./lambda-bundling.js";
import { controllerServiceName, env, ids, metricsNamespace } from "./names.js";

/** The controller handler's source, resolved from this file so it works from any working directory. */
export const controllerEntry = fileURLToPath(new URL("../../lambdas/controller.ts", import.meta.url));

/** The schedule: one invocation a minute, which makes a pass every `controllerTick` until shortly before the next. */
export const controllerRate = Duration.minutes(CONTROLLER_SCHEDULE_MINUTES);

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

export type { NetworkInterfaceTag } from "./controller-permissions.js";

export interface ControllerFunctionProps {
  readonly source: ClusterDefinitionSource;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  /** @see FailoverClusterProps.networkInterfaceTag */
  readonly networkInterfaceTag?: NetworkInterfaceTag;
  /** @see FailoverClusterProps.detailedMetrics @default false */
  readonly detailedMetrics?: boolean;
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
        ...(props.detailedMetrics === true ? { [env.metrics]: "detailed" } : {}),
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
