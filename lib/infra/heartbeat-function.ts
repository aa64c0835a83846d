import { fileURLToPath } from "node:url";
import { Duration, Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { NODE_ATTRIBUTES, STATE_PARTITION, TABLE_KEYS, WAKE_ATTRIBUTES } from "../aws/table-layout.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { dropRedundantRoleDependency, functionRole, type TableGrant } from "./function-role.js";
import { bundlingFor, functionDefaults } from "./lambda-bundling.js";
import { env, heartbeatServiceName, ids } from "./names.js";

/** The heartbeat handler's source, resolved from this file so it works from any working directory. */
export const heartbeatEntry = fileURLToPath(new URL("../../lambdas/heartbeat.ts", import.meta.url));

/** Both of the heartbeat handler's table actions stay in the state partition (the log partitions are the controller's). */
const statePartitionOnly = { "dynamodb:LeadingKeys": [STATE_PARTITION] };

/**
 * The table actions the heartbeat handler may use, and nothing else: one conditional UpdateItem
 * renews a node's liveness item (its failed condition returns the old item, so no read is needed),
 * BatchGetItem reads the group items it answers with. No GetItem, Query, Scan, PutItem or DeleteItem.
 *
 * Node and group items share the `state` partition, and IAM cannot condition on a sort key, so the UpdateItem is
 * kept to node items by their attributes: it may name (set, remove or test) only the keys and the node liveness
 * attributes, never a group's `owner`, `epoch` or `desired`, nor the controller lease or guard. DynamoDB counts
 * every attribute a request's key and expressions name (docs/table.md); ReturnValuesOnConditionCheckFailure is
 * not conditioned, and returns a node item only. BatchGetItem reads any item of the state partition.
 */
const heartbeatTableGrants: readonly TableGrant[] = [
  {
    actions: ["dynamodb:UpdateItem"],
    conditions: {
      "ForAllValues:StringEquals": {
        ...statePartitionOnly,
        "dynamodb:Attributes": [TABLE_KEYS.partition, TABLE_KEYS.sort, ...NODE_ATTRIBUTES],
      },
    },
  },
  { actions: ["dynamodb:BatchGetItem"], conditions: { "ForAllValues:StringEquals": statePartitionOnly } },
  // The controller wake-up's deduplication (lib/aws/heartbeat-store.ts claimWake): its own statement, naming only the
  // keys and the wake-up item's two attributes, so a heartbeat's write can never name them and this one nothing else.
  {
    actions: ["dynamodb:UpdateItem"],
    conditions: {
      "ForAllValues:StringEquals": {
        ...statePartitionOnly,
        "dynamodb:Attributes": [TABLE_KEYS.partition, TABLE_KEYS.sort, ...WAKE_ATTRIBUTES],
      },
    },
  },
];

/**
 * A node gives up on a heartbeat before its next one is due (the interval is a few seconds),
 * so the handler has a few seconds at most: a slower answer is a missed heartbeat anyway.
 */
export const heartbeatTimeout = Duration.seconds(3);

/**
 * The smallest Lambda allows: the handler mostly waits on two or three DynamoDB calls. Measured (`npm run
 * bench:sizing`, docs/cost.md): 2-4 ms of CPU a heartbeat on a full core and an index of about 2 MB of heap at 1,000 nodes.
 * Billed GB-s are the wait x memory plus the CPU x 1769 / 1024 (the same at any memory), so less memory costs less;
 * at 128 MB an answer takes tens of milliseconds, far inside the 3 s timeout and the heartbeat interval.
 */
export const heartbeatMemoryMb = 128;

export interface HeartbeatFunctionProps {
  readonly source: ClusterDefinitionSource;
  readonly table: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  /**
   * Unique ids (tokens resolved at deploy) of node roles the app creates, by node id: the handler
   * checks them as it checks a definition's `principalId`.
   *
   * @default - none
   */
  readonly pinnedPrincipalIds?: Readonly<Record<string, string>>;
  /** The controller function the handler wakes (lambda:InvokeFunction on it only). */
  readonly controller: lambda.IFunction;
  /** @see FailoverClusterProps.detailedMetrics @default false */
  readonly detailedMetrics?: boolean;
}

/**
 * The heartbeat Lambda function, its log group and its role.
 *
 * The validated definition document is compiled into the code (see `bundlingFor`).
 */
export class HeartbeatFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HeartbeatFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, ids.heartbeatLogs, { retention: props.logRetention });

    this.role = functionRole(this, ids.heartbeatRole, {
      description: "Baton heartbeat handler: renews node leases in the cluster state table.",
      tableGrants: heartbeatTableGrants,
      table: props.table,
      logGroup: this.logGroup,
      policies: {
        // Wake-ups: asynchronous invocations of the cluster's controller, and of no other function.
        WakeController: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [props.controller.functionArn] }),
          ],
        }),
      },
    });

    this.function = new nodejs.NodejsFunction(this, ids.heartbeatFunction, {
      description: `Baton heartbeat handler for cluster ${props.source.definition.cluster}`,
      entry: heartbeatEntry,
      handler: "handler",
      ...functionDefaults,
      // Not traced: Lambda samples the first request each second and 5 % of the rest, which for heartbeats is
      // about one trace a second whatever the cluster's size, $13.70 a month at $5 per million (docs/cost.md),
      // more than every other part of a 3-node cluster together. Failures are in the logs and metrics.
      tracing: lambda.Tracing.DISABLED,
      memorySize: heartbeatMemoryMb,
      timeout: heartbeatTimeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [env.tableName]: props.table.tableName,
        [env.serviceName]: heartbeatServiceName,
        [env.controllerFunction]: props.controller.functionName,
        ...(props.detailedMetrics === true ? { [env.metrics]: "detailed" } : {}),
        ...(Object.keys(props.pinnedPrincipalIds ?? {}).length === 0
          ? {}
          : { [env.principalIds]: Stack.of(this).toJsonString(props.pinnedPrincipalIds) }),
      },
      bundling: bundlingFor(props.source),
    });
    dropRedundantRoleDependency(this.function, this.role);

    Validations.of(this.function).acknowledge({
      id: "Serverless-LambdaDLQ",
      reason:
        "Only its function URL or API Gateway invokes this function, synchronously: there are no asynchronous invocations whose " +
        "events a dead-letter queue could keep, and a failed heartbeat is replaced by the node's next one.",
    });
    Validations.of(this.function).acknowledge({
      id: "Serverless-LambdaTracing",
      reason:
        "Heartbeats are not traced: Lambda's fixed sampling records about one trace a second from them, which " +
        "costs more than the rest of a small cluster (docs/cost.md); refusals and failures are logged and counted.",
    });
  }
}
