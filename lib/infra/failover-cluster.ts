import { Stack, Token } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { ControllerFunction } from "./controller-function.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { HeartbeatApi } from "./heartbeat-api.js";
import { HeartbeatFunction } from "./heartbeat-function.js";
import { heartbeatRoute, ids } from "./names.js";
import { Notifications } from "./notifications.js";
import { StateTable } from "./state-table.js";

export interface FailoverClusterProps {
  /** The validated cluster definition (see `ClusterDefinitionSource.fromFile`). */
  readonly definition: ClusterDefinitionSource;

  /**
   * Roles of the cluster's nodes, by node id, to attach the node heartbeat policy to
   * (for example the instance roles of EC2 nodes defined in the same app). Every key must
   * be a node id of the definition. Nodes left out need the policy attached some other
   * way: see `nodeHeartbeatPolicy` and `grantHeartbeat`.
   *
   * @default - no role is given the policy by this construct
   */
  readonly nodeRoles?: Readonly<Record<string, iam.IRole>>;

  /**
   * How long the functions' logs and the API access logs are kept. The log
   * groups themselves are retained when the stack is deleted, and expire on this schedule.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Baton failover cluster's AWS side, built from its definition: the state table (the
 * quorum witness), the heartbeat function behind an IAM-authorized HTTPS API, the
 * controller function invoked every minute, the notification topic, and the policy nodes
 * need to send heartbeats.
 *
 * Usable in any CDK app; `BatonStack` is the ready-made stack around it.
 */
export class FailoverCluster extends Construct {
  /** Cluster state: leases, group ownership, history. Retained when the stack is deleted. */
  readonly table: dynamodb.Table;
  /** The heartbeat HTTP API (one route, `POST /v1/heartbeat`, IAM authorization). */
  readonly api: apigwv2.HttpApi;
  readonly heartbeatFunction: lambda.Function;
  /**
   * The controller: invoked every minute by an EventBridge rule (one run at a time, a missed run is
   * not retried); invoke it with `{"passes": 1}` for a single pass.
   */
  readonly controllerFunction: lambda.Function;
  /** Notifications of failovers and failures; email subscribers come from the definition. */
  readonly topic: sns.Topic;
  /** Allows `execute-api:Invoke` on `POST /v1/heartbeat` of the `$default` stage and nothing else. */
  readonly nodeHeartbeatPolicy: iam.ManagedPolicy;
  /** The URL nodes send heartbeats to (`https://…/v1/heartbeat`). */
  readonly heartbeatUrl: string;

  private readonly heartbeatRouteArn: string;

  constructor(scope: Construct, id: string, props: FailoverClusterProps) {
    // Checked before the construct joins the tree, so a rejected one leaves nothing behind.
    const { definition } = props.definition;
    const nodeRoles = Object.entries(props.nodeRoles ?? {});
    checkNodeRoles(definition.cluster, new Set(definition.nodes.map((node) => node.id)), nodeRoles);
    checkRegion(definition.cluster, definition.region, Stack.of(scope).region);
    super(scope, id);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new StateTable(this, ids.state).table;

    const heartbeat = new HeartbeatFunction(this, ids.heartbeat, {
      source: props.definition,
      table: this.table,
      logRetention,
    });
    this.heartbeatFunction = heartbeat.function;

    const api = new HeartbeatApi(this, ids.api, { handler: heartbeat.function, logRetention });
    this.api = api.api;
    this.heartbeatRouteArn = api.routeArn;
    this.nodeHeartbeatPolicy = api.nodePolicy;
    // The $default stage URL ends with "/".
    this.heartbeatUrl = `${api.stage.url}${heartbeatRoute.path.slice(1)}`;

    this.topic = new Notifications(this, ids.notifications, { emails: definition.notifications.email }).topic;

    this.controllerFunction = new ControllerFunction(this, ids.controller, {
      source: props.definition,
      table: this.table,
      topic: this.topic,
      logRetention,
    }).function;

    for (const [, role] of nodeRoles) this.nodeHeartbeatPolicy.attachToRole(role);
  }

  /**
   * Lets `grantee` send heartbeats: `execute-api:Invoke` on the heartbeat route only, added
   * to the grantee's own policy. For roles, attaching `nodeHeartbeatPolicy` does the same.
   */
  grantHeartbeat(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["execute-api:Invoke"],
      resourceArns: [this.heartbeatRouteArn],
    });
  }
}

/**
 * The controller's EC2 permissions name the definition's region (ARNs, aws:RequestedRegion) and its EC2 client calls
 * the function's own region: a stack elsewhere would deploy a controller that may not touch the cluster's instances.
 * An environment-agnostic stack (region unknown until deployment) must be deployed to the definition's region.
 */
function checkRegion(cluster: string, definitionRegion: string, stackRegion: string): void {
  if (Token.isUnresolved(stackRegion) || stackRegion === definitionRegion) return;
  throw new Error(
    `FailoverCluster: the stack is in region ${stackRegion}, but cluster "${cluster}" is in ${definitionRegion} ` +
      "(its definition's region); deploy the stack to that region.",
  );
}

function checkNodeRoles(cluster: string, nodeIds: ReadonlySet<string>, roles: readonly [string, iam.IRole][]): void {
  const unknown = roles.map(([nodeId]) => nodeId).filter((nodeId) => !nodeIds.has(nodeId));
  if (unknown.length === 0) return;
  const known = [...nodeIds].map((nodeId) => JSON.stringify(nodeId)).join(", ");
  throw new Error(
    `FailoverCluster nodeRoles: ${unknown.map((nodeId) => JSON.stringify(nodeId)).join(", ")} ` +
      `${unknown.length === 1 ? "is not a node" : "are not nodes"} of cluster "${cluster}" (its nodes: ${known}).`,
  );
}
