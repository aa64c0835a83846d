// Over 300 lines: the construct that wires the table, both functions, the endpoint, notifications and monitoring,
// with each prop's documentation; the checks of its props are in cluster-checks.ts, the alarms in cluster-alarms.ts.
import { type Duration, Stack } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { CONTROLLER_METRICS } from "../core/metric-names.js";
import { ClusterAlarms, type ClusterAlarmKey, type ClusterAlarmsProps } from "./cluster-alarms.js";
import {
  checkNetworkInterfaceTag,
  checkNodeDownAlarms,
  checkNodeRoles,
  checkRegion,
  pinnedRoleIds,
} from "./cluster-checks.js";
import { ClusterDashboard } from "./cluster-dashboard.js";
import { ClusterMetrics, type ControllerMetric, type HeartbeatMetric } from "./cluster-metrics.js";
import { ControllerFunction, type NetworkInterfaceTag } from "./controller-function.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { HeartbeatApi, heartbeatThrottleFor } from "./heartbeat-api.js";
import { HeartbeatFunction } from "./heartbeat-function.js";
import { functionUrlInvokeStatements, HeartbeatFunctionUrl } from "./heartbeat-url.js";
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
   * A role created in the app (`new iam.Role`) with a `roleName` must be the node's `principal`
   * (same name). Its unique id is then pinned for every node with that principal, as a
   * definition's `principalId` would be: a role deleted and recreated under the same name
   * outside the stack is not trusted. An imported role, or one without a `roleName`, is not pinned.
   *
   * @default - no role is given the policy by this construct
   */
  readonly nodeRoles?: Readonly<Record<string, iam.IRole>>;

  /**
   * A tag that the network interface of every EC2 node that may receive an Elastic IP carries, for example
   * `{ key: "baton:cluster", value: "orders-db" }`. When given, the controller may associate the cluster's
   * addresses only with network interfaces that carry it (and are in their owners' zones), so not with any other
   * interface of the account. Tag the interfaces before deploying: an untagged one makes the address's move fail.
   *
   * @default - any network interface in the availability zones of the addresses' owners
   */
  readonly networkInterfaceTag?: NetworkInterfaceTag;

  /**
   * How long the functions' logs and the API access logs are kept. The log
   * groups themselves are retained when the stack is deleted, and expire on this schedule.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The alarms the construct creates, each publishing to the topic on ALARM and on OK. Every one is on by default;
   * `false` leaves one out, an `AlarmTuning` retunes it: `{ alarms: { heartbeatApiClientErrors: false,
   * controllerNotRunning: { evaluationPeriods: 5 } } }`. docs/alarms.md lists them.
   *
   * @default - every alarm, with its defaults
   */
  readonly alarms?: ClusterAlarmsProps;

  /**
   * Publish every Baton metric: besides the gauges the default alarms watch (`ALARM_GAUGES`: ControllerPasses,
   * NodesDown, GroupsFailed, GroupsOverdue, GuardFrozen), the other state gauges (NodesUp, NodesDrained,
   * GroupsOnline, GroupsMoving, GroupsOffline, OldestHeartbeatAge, LongestMove), AwsErrors on every pass, the
   * heartbeat latency, and the per-node `NodeDown` gauge with one `nodeDown` alarm per node (in place of the
   * cluster-wide `nodesDown` alarm). CloudWatch bills each metric name and dimension set $0.30 a month and each alarm
   * $0.10: 3 nodes go from 5 to 17 custom metrics, each further node adds one metric and one alarm (docs/cost.md).
   *
   * @default false
   */
  readonly detailedMetrics?: boolean;

  /**
   * Whether to create the cluster's CloudWatch dashboard (`Baton-<cluster>-<region>`).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

/**
 * A Baton failover cluster's AWS side, built from its definition: the state table (the
 * quorum witness), the heartbeat function behind an IAM-authorized HTTPS endpoint (its function URL, or an HTTP API
 * with the definition's `endpoint: http-api`), the
 * controller function invoked every minute, the notification topic, and the policy nodes
 * need to send heartbeats.
 *
 * Usable in any CDK app; `BatonStack` is the ready-made stack around it.
 */
export class FailoverCluster extends Construct {
  /** Cluster state: leases, group ownership, history. Retained when the stack is deleted. */
  readonly table: dynamodb.Table;
  /** The heartbeat HTTP API (one route, `POST /v1/heartbeat`, IAM authorization), with `endpoint: http-api`. */
  readonly api?: apigwv2.HttpApi;
  /** The heartbeat function's URL (`AWS_IAM` auth), with `endpoint: function-url` (the default). */
  readonly functionUrl?: lambda.FunctionUrl;
  readonly heartbeatFunction: lambda.Function;
  /**
   * The controller: invoked every minute by an EventBridge rule (one run at a time, a missed run is
   * not retried); invoke it with `{"passes": 1}` for a single pass.
   */
  readonly controllerFunction: lambda.Function;
  /** Notifications of failovers and failures; email subscribers come from the definition. */
  readonly topic: sns.Topic;
  /**
   * Allows sending heartbeats and nothing else: `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` through the
   * function URL (`functionUrlInvokeStatements`), or `execute-api:Invoke` on `POST /v1/heartbeat` of the HTTP API's
   * `$default` stage.
   */
  readonly nodeHeartbeatPolicy: iam.ManagedPolicy;
  /** The URL nodes send heartbeats to (`https://…/v1/heartbeat`). */
  readonly heartbeatUrl: string;

  /** The undelivered notifications' queue (the topic's email subscriptions' dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** The alarms made (`ClusterAlarmsProps`), by key; add your own actions to them (PagerDuty, Chatbot). */
  readonly alarms: Partial<Record<Exclude<ClusterAlarmKey, "nodeDown">, cloudwatch.Alarm>>;
  /** The per-node "node down" alarms, by node id (with `detailedMetrics`; else empty: see `alarms.nodesDown`). */
  readonly nodeDownAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The cluster's dashboard, unless `dashboard: false`. */
  readonly dashboard?: cloudwatch.Dashboard;

  /** The statements `grantHeartbeat` gives: the node policy's. */
  private readonly heartbeatStatements: () => iam.PolicyStatement[];
  private readonly metrics: ClusterMetrics;

  constructor(scope: Construct, id: string, props: FailoverClusterProps) {
    // Checked before the construct joins the tree, so a rejected one leaves nothing behind.
    const { definition } = props.definition;
    const nodeRoles = Object.entries(props.nodeRoles ?? {});
    checkNodeRoles(definition.cluster, new Set(definition.nodes.map((node) => node.id)), nodeRoles);
    checkRegion(definition.cluster, definition.region, Stack.of(scope).region);
    checkNodeDownAlarms(props.alarms, props.detailedMetrics);
    if (props.networkInterfaceTag !== undefined) checkNetworkInterfaceTag(props.networkInterfaceTag);
    const pinnedPrincipalIds = pinnedRoleIds(definition, nodeRoles);
    super(scope, id);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new StateTable(this, ids.state).table;

    const notifications = new Notifications(this, ids.notifications, { emails: definition.notifications.email });
    this.topic = notifications.topic;
    this.deadLetterQueue = notifications.deadLetterQueue;

    this.controllerFunction = new ControllerFunction(this, ids.controller, {
      source: props.definition,
      table: this.table,
      topic: this.topic,
      logRetention,
      networkInterfaceTag: props.networkInterfaceTag,
      detailedMetrics: props.detailedMetrics,
    }).function;

    const heartbeat = new HeartbeatFunction(this, ids.heartbeat, {
      source: props.definition,
      table: this.table,
      logRetention,
      pinnedPrincipalIds,
      controller: this.controllerFunction,
      detailedMetrics: props.detailedMetrics,
    });
    this.heartbeatFunction = heartbeat.function;

    if (definition.endpoint === "http-api") {
      const api = new HeartbeatApi(this, ids.api, {
        handler: heartbeat.function,
        throttle: heartbeatThrottleFor(definition),
        logRetention,
      });
      this.api = api.api;
      this.nodeHeartbeatPolicy = api.nodePolicy;
      // The $default stage URL ends with "/".
      this.heartbeatUrl = `${api.stage.url}${heartbeatRoute.path.slice(1)}`;
      this.heartbeatStatements = () => [
        new iam.PolicyStatement({ actions: ["execute-api:Invoke"], resources: [api.routeArn] }),
      ];
    } else {
      const url = new HeartbeatFunctionUrl(this, ids.url, { handler: heartbeat.function });
      this.functionUrl = url.functionUrl;
      this.nodeHeartbeatPolicy = url.nodePolicy;
      this.heartbeatUrl = url.heartbeatUrl;
      this.heartbeatStatements = () => functionUrlInvokeStatements(heartbeat.function.functionArn);
    }

    for (const [, role] of nodeRoles) this.nodeHeartbeatPolicy.attachToRole(role);

    this.metrics = new ClusterMetrics(
      definition.cluster,
      { controller: this.controllerFunction, heartbeat: this.heartbeatFunction },
      this.api ?? "function-url",
      this.deadLetterQueue,
    );
    const alarms = new ClusterAlarms(this, ids.alarms, {
      definition,
      metrics: this.metrics,
      topic: this.topic,
      alarms: props.alarms,
      detailedMetrics: props.detailedMetrics === true,
    });
    this.alarms = alarms.alarms;
    this.nodeDownAlarms = alarms.nodeDown;
    if (props.dashboard !== false) {
      this.dashboard = new ClusterDashboard(this, ids.dashboard, {
        definition,
        metrics: this.metrics,
        alarms: alarms.all(),
        detailedMetrics: props.detailedMetrics === true,
      }).dashboard;
    }
  }

  /** Any Baton metric of this cluster by its name (`CONTROLLER_METRICS`): gauges Maximum, counters Sum, 1 minute. */
  metricController(metricName: ControllerMetric, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(metricName, options);
  }

  /** Any heartbeat function metric of this cluster by its name (`HEARTBEAT_METRICS`). */
  metricHeartbeat(metricName: HeartbeatMetric, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.heartbeat(metricName, options);
  }

  /** Nodes of the definition that are down and not drained (Maximum, 1 minute). */
  metricNodesDown(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.nodesDown, options);
  }

  metricNodesUp(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.nodesUp, options);
  }

  /** 1 while node `nodeId` is down and not drained (Maximum, 1 minute; emitted once a minute with `detailedMetrics`). */
  metricNodeDown(nodeId: string, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.nodeDown(nodeId, options);
  }

  /** Groups left `failed` for an operator (Maximum, 1 minute). */
  metricGroupsFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.groupsFailed, options);
  }

  /** Groups not online for longer than their failover bound (Maximum, 1 minute). */
  metricGroupsOverdue(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.groupsOverdue, options);
  }

  /** 1 while automatic failover is frozen by the mass-failure guard (Maximum, 1 minute). */
  metricGuardFrozen(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.guardFrozen, options);
  }

  /** Failed failovers and groups left failed by their threshold (Sum, 1 minute). */
  metricFailoversFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.failoversFailed, options);
  }

  /** Controller passes (Sum, 1 minute): 0 means no controller is running. */
  metricControllerPasses(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.passes, options);
  }

  /** Failover durations, ms (Average, 1 minute). */
  metricFailoverDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.controller(CONTROLLER_METRICS.failoverDuration, options);
  }

  /** Heartbeats refused with 403 and 429 by the heartbeat function, together. */
  metricHeartbeatsRefused(period?: Duration): cloudwatch.MathExpression {
    return this.metrics.heartbeatsRefused(period);
  }

  /**
   * Lets `grantee` send heartbeats, and nothing else, in the grantee's own policy: the statements of
   * `nodeHeartbeatPolicy` (the function through its URL, or `execute-api:Invoke` on the heartbeat route). For roles,
   * attaching `nodeHeartbeatPolicy` does the same.
   */
  grantHeartbeat(grantee: iam.IGrantable): iam.Grant {
    const statements = this.heartbeatStatements();
    let grant: iam.Grant | undefined;
    for (const statement of statements) {
      const added = iam.Grant.addToPrincipal({
        grantee,
        actions: statement.actions,
        resourceArns: statement.resources,
        conditions: statement.conditions as Record<string, Record<string, unknown>>,
      });
      grant = grant === undefined ? added : grant.combine(added);
    }
    return grant!;
  }
}
