import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { Construct } from "constructs";
import type { ClusterDefinition } from "../core/definition/types.js";
import { CONTROLLER_METRICS, HEARTBEAT_METRICS } from "../core/metric-names.js";
import { type ClusterMetrics, type ControllerMetric, type HeartbeatMetric, ONE_MINUTE } from "./cluster-metrics.js";
import { ids } from "./names.js";

/** CloudWatch shows at most 100 alarms in a status widget and 100 metrics in a graph: the first 100 nodes. */
const MAX_WIDGET_ITEMS = 100;

/** One dashboard per cluster, built from the same metric objects as the alarms. */
export class ClusterDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    props: {
      definition: ClusterDefinition;
      metrics: ClusterMetrics;
      alarms: readonly cloudwatch.Alarm[];
      /** Whether every gauge is published: without, the graphs show only what is (`ALARM_GAUGES` and counters). */
      detailedMetrics: boolean;
    },
  ) {
    super(scope, id);
    const { definition, metrics, detailedMetrics: detailed } = props;
    const m = CONTROLLER_METRICS;
    const c = (name: ControllerMetric, label: string) => metrics.controller(name, { label });
    const h = (name: HeartbeatMetric, label: string) => metrics.heartbeat(name, { label });
    const width = 8;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
    const nodes = detailed
      ? [
          graph(
            "Nodes",
            [c(m.nodesUp, "up"), c(m.nodesDown, "down"), c(m.nodesDrained, "drained")],
            [c(m.oldestHeartbeatAge, "oldest heartbeat age (ms)")],
          ),
          graph(
            "Node down (per node)",
            definition.nodes.slice(0, MAX_WIDGET_ITEMS).map((n) => metrics.nodeDown(n.id, { label: n.id })),
          ),
        ]
      : [graph("Nodes", [c(m.nodesDown, "down")])];
    const groups = graph(
      "Groups",
      [
        ...(detailed ? [c(m.groupsOnline, "online"), c(m.groupsMoving, "moving"), c(m.groupsOffline, "offline")] : []),
        c(m.groupsFailed, "failed"),
        c(m.groupsOverdue, "overdue"),
      ],
      [c(m.guardFrozen, "guard frozen")],
    );
    this.dashboard = new cloudwatch.Dashboard(this, ids.dashboardResource, {
      dashboardName: `Baton-${definition.cluster}-${definition.region}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: "Alarms",
            alarms: props.alarms.slice(0, MAX_WIDGET_ITEMS),
            width: 24,
            height: 4,
          }),
        ],
        [...nodes, groups],
        [
          graph("Failovers", [
            c(m.failoversStarted, "started"),
            c(m.failoversCompleted, "completed"),
            c(m.failoversFailed, "failed"),
          ]),
          graph(
            "Failover durations (ms)",
            [c(m.failoverDuration, "failover duration"), c(m.detectionDelay, "detection delay")],
            detailed ? [c(m.longestMove, "longest running move")] : [],
          ),
          graph(
            "Controller",
            [c(m.passes, "passes"), c(m.awsErrors, "AWS errors"), c(m.alarmRequests, "alarm requests")],
            [
              metrics.lambdaErrors("controller", ONE_MINUTE).with({ label: "errors" }),
              metrics.lambdaThrottles("controller", ONE_MINUTE).with({ label: "throttles" }),
            ],
          ),
        ],
        [
          graph(
            "Heartbeats",
            [metrics.apiCount(ONE_MINUTE).with({ label: "requests" })],
            detailed ? [h(HEARTBEAT_METRICS.latency, "answered latency (ms)")] : [],
          ),
          graph("Heartbeat refusals", [
            h(HEARTBEAT_METRICS.forbidden, "403 wrong identity"),
            h(HEARTBEAT_METRICS.stale, "409 stale"),
            h(HEARTBEAT_METRICS.throttled, "429 node flooding"),
            metrics.apiClientErrors(ONE_MINUTE).with({ label: "API 4xx" }),
            metrics.apiServerErrors(ONE_MINUTE).with({ label: "API 5xx" }),
          ]),
          graph("Heartbeat function", [
            metrics.lambdaErrors("heartbeat", ONE_MINUTE).with({ label: "errors" }),
            metrics.lambdaThrottles("heartbeat", ONE_MINUTE).with({ label: "throttles" }),
            metrics.deadLetters(ONE_MINUTE).with({ label: "undelivered notifications" }),
          ]),
        ],
      ],
    });
  }
}
