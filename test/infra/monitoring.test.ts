import { App, Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { FailoverCluster, type FailoverClusterProps } from "../../lib/infra/failover-cluster.js";
import {
  examplePath,
  exampleVariant,
  lambdaFunction,
  removeCloudAssemblies,
  single,
  synthesize,
  type CfnResourceJson,
} from "./synth.js";

// The alarms FailoverCluster makes, with their metric, threshold, missing-data treatment and actions, written out
// here from docs/alarms.md (not read back from the construct's defaults), and the dashboard built from the same
// metrics.

let template: Template;

afterAll(removeCloudAssemblies);
beforeAll(() => {
  template = synthesize(undefined, { bundle: false }).template;
});

function clusterTemplate(
  props: Omit<FailoverClusterProps, "definition"> = {},
  definition = ClusterDefinitionSource.fromFile(examplePath),
): Template {
  const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Monitored", {
    env: { account: "123456789012", region: "us-east-1" },
  });
  new FailoverCluster(stack, "Cluster", { definition, ...props });
  return Template.fromStack(stack);
}

function alarmNames(t: Template): string[] {
  return Object.values(t.findResources("AWS::CloudWatch::Alarm") as Record<string, CfnResourceJson>)
    .map((a) => a.Properties?.AlarmName as string)
    .sort();
}

const variables = (t: Template, service: string) =>
  (lambdaFunction(t, service).resource.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

function alarm(t: Template, name: string): Record<string, unknown> {
  const found = Object.values(t.findResources("AWS::CloudWatch::Alarm") as Record<string, CfnResourceJson>).filter(
    (a) => a.Properties?.AlarmName === name,
  );
  if (found.length !== 1) throw new Error(`expected one alarm ${name}, found ${found.length}`);
  return found[0]!.Properties!;
}

const controller = (extra: { Name: string; Value: string }[] = []) => [
  { Name: "cluster", Value: "orders-db" },
  ...extra,
  { Name: "service", Value: "baton-controller" },
];

// name, metric, statistic, period (s), comparison, threshold, evaluation periods, missing data
const BATON_ALARMS: [string, string, ReturnType<typeof controller>, string, number, string, number, number, string][] =
  [
    ["nodes-down", "NodesDown", controller(), "Maximum", 60, "GreaterThanOrEqualToThreshold", 1, 1, "ignore"],
    ["groups-failed", "GroupsFailed", controller(), "Maximum", 60, "GreaterThanOrEqualToThreshold", 1, 1, "ignore"],
    ["groups-overdue", "GroupsOverdue", controller(), "Maximum", 60, "GreaterThanOrEqualToThreshold", 1, 1, "ignore"],
    [
      "failovers-failed",
      "FailoversFailed",
      controller(),
      "Sum",
      60,
      "GreaterThanOrEqualToThreshold",
      1,
      1,
      "notBreaching",
    ],
    ["guard-frozen", "GuardFrozen", controller(), "Maximum", 60, "GreaterThanOrEqualToThreshold", 1, 1, "ignore"],
    ["controller-not-running", "ControllerPasses", controller(), "Sum", 60, "LessThanThreshold", 1, 3, "breaching"],
  ];

describe("alarms", () => {
  it.each(BATON_ALARMS)(
    "%s: %s (%j) %s over %i s, %s %i for %i periods, missing data %s, to the topic on ALARM and OK",
    (name, metric, dimensions, statistic, period, comparison, threshold, periods, missing) => {
      // Prepare
      const topic = single(template, "AWS::SNS::Topic").id;
      // Act
      const properties = alarm(template, `baton-orders-db-${name}`);
      // Assess
      expect(properties).toMatchObject({
        Namespace: "Baton",
        MetricName: metric,
        Dimensions: dimensions,
        Statistic: statistic,
        Period: period,
        ComparisonOperator: comparison,
        Threshold: threshold,
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        TreatMissingData: missing,
        AlarmActions: [{ Ref: topic }],
        OKActions: [{ Ref: topic }],
      });
    },
  );

  it.each([
    ["controller-errors", "AWS/Lambda", "Errors", "baton-controller", 300, 1],
    ["controller-throttles", "AWS/Lambda", "Throttles", "baton-controller", 300, 5],
    ["heartbeat-errors", "AWS/Lambda", "Errors", "baton-heartbeat", 300, 1],
    ["heartbeat-throttles", "AWS/Lambda", "Throttles", "baton-heartbeat", 300, 1],
  ])(
    "%s: %s %s of the %s function, Sum over %i s, at least %i",
    (name, namespace, metric, service, period, threshold) => {
      // Prepare
      const fn = lambdaFunction(template, service).id;
      const topic = single(template, "AWS::SNS::Topic").id;
      // Act
      const properties = alarm(template, `baton-orders-db-${name}`);
      // Assess
      expect(properties).toMatchObject({
        Namespace: namespace,
        MetricName: metric,
        Dimensions: [{ Name: "FunctionName", Value: { Ref: fn } }],
        Statistic: "Sum",
        Period: period,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: threshold,
        TreatMissingData: "notBreaching",
        AlarmActions: [{ Ref: topic }],
        OKActions: [{ Ref: topic }],
      });
    },
  );

  it("heartbeats refused: 403 and 429 of the heartbeat function together, at least 1 a minute", () => {
    // Act
    const properties = alarm(template, "baton-orders-db-heartbeats-refused");
    // Assess
    const heartbeat = [
      { Name: "cluster", Value: "orders-db" },
      { Name: "service", Value: "baton-heartbeat" },
    ];
    expect(properties).toMatchObject({ Threshold: 1, TreatMissingData: "notBreaching" });
    const metrics = properties.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe("FILL(forbidden, 0) + FILL(throttled, 0)");
    expect(metrics.find((m) => m.Id === "forbidden")?.MetricStat).toMatchObject({
      Metric: { Namespace: "Baton", MetricName: "HeartbeatsForbidden", Dimensions: heartbeat },
      Period: 60,
      Stat: "Sum",
    });
    expect(metrics.find((m) => m.Id === "throttled")?.MetricStat).toMatchObject({
      Metric: { Namespace: "Baton", MetricName: "HeartbeatsThrottled", Dimensions: heartbeat },
    });
  });

  it("the function URL's 5xx and 4xx (the default endpoint), and the dead-letter queue not empty", () => {
    // Prepare
    const fn = lambdaFunction(template, "baton-heartbeat").id;
    const queue = single(template, "AWS::SQS::Queue").id;
    // Act
    const server = alarm(template, "baton-orders-db-heartbeat-api-server-errors");
    const client = alarm(template, "baton-orders-db-heartbeat-api-client-errors");
    const letters = alarm(template, "baton-orders-db-dead-letters");
    // Assess
    const dimensions = [{ Name: "FunctionName", Value: { Ref: fn } }];
    expect(server).toMatchObject({ Namespace: "AWS/Lambda", MetricName: "Url5xxCount", Threshold: 1, Period: 300 });
    expect(server.Dimensions).toEqual(dimensions);
    expect(client).toMatchObject({ Namespace: "AWS/Lambda", MetricName: "Url4xxCount", Threshold: 10, Period: 300 });
    expect(client.Dimensions).toEqual(dimensions);
    expect(letters).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Statistic: "Maximum",
      Threshold: 1,
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
    });
  });

  it("the HTTP API's 5xx and 4xx with endpoint: http-api", () => {
    // Prepare
    const t = clusterTemplate(
      {},
      exampleVariant((document) => {
        document.endpoint = "http-api";
      }),
    );
    const api = single(t, "AWS::ApiGatewayV2::Api").id;
    // Act
    const server = alarm(t, "baton-orders-db-heartbeat-api-server-errors");
    const client = alarm(t, "baton-orders-db-heartbeat-api-client-errors");
    // Assess
    expect(server).toMatchObject({ Namespace: "AWS/ApiGateway", MetricName: "5xx", Threshold: 1, Period: 300 });
    expect(server.Dimensions).toEqual([{ Name: "ApiId", Value: { Ref: api } }]);
    expect(client).toMatchObject({ Namespace: "AWS/ApiGateway", MetricName: "4xx", Threshold: 10, Period: 300 });
  });

  it("makes no other alarm", () => {
    // Act
    const names = alarmNames(template);
    // Assess: nodes down and 5 more cluster alarms, 4 function alarms, 1 refusals, 2 endpoint, 1 queue; none per node.
    expect(names).toHaveLength(1 + 5 + 4 + 1 + 2 + 1);
    expect(names.filter((n) => n.includes("node-down"))).toEqual([]);
  });

  it("leaves out an alarm given false, retunes one given settings, and keeps the rest", () => {
    // Act
    const t = clusterTemplate({
      alarms: {
        heartbeatApiClientErrors: false,
        controllerNotRunning: { evaluationPeriods: 5, datapointsToAlarm: 4 },
        guardFrozen: { notify: false },
        groupsFailed: { threshold: 2, period: Duration.minutes(5) },
      },
    });
    // Assess
    expect(() => alarm(t, "baton-orders-db-heartbeat-api-client-errors")).toThrow(/found 0/);
    expect(alarm(t, "baton-orders-db-controller-not-running")).toMatchObject({
      EvaluationPeriods: 5,
      DatapointsToAlarm: 4,
      Threshold: 1,
      TreatMissingData: "breaching",
    });
    expect(alarm(t, "baton-orders-db-groups-failed")).toMatchObject({ Threshold: 2, Period: 300 });
    const frozen = alarm(t, "baton-orders-db-guard-frozen");
    expect(frozen).not.toHaveProperty("AlarmActions");
    expect(frozen).not.toHaveProperty("OKActions");
    expect(alarm(t, "baton-orders-db-nodes-down")).toHaveProperty("AlarmActions");
  });

  it("by default, tells neither function to publish detailed metrics", () => {
    // Assess
    expect(variables(template, "baton-controller")).not.toHaveProperty("BATON_METRICS");
    expect(variables(template, "baton-heartbeat")).not.toHaveProperty("BATON_METRICS");
  });

  it("with detailedMetrics, both functions publish every metric and each node has its alarm in place of nodes-down", () => {
    // Act
    const t = clusterTemplate({ detailedMetrics: true });
    // Assess
    expect(variables(t, "baton-controller")).toMatchObject({ BATON_METRICS: "detailed" });
    expect(variables(t, "baton-heartbeat")).toMatchObject({ BATON_METRICS: "detailed" });
    const names = alarmNames(t);
    expect(names.filter((n) => n.includes("node"))).toEqual([
      "baton-orders-db-node-down-db-a",
      "baton-orders-db-node-down-db-b",
      "baton-orders-db-node-down-office-1",
    ]);
    expect(alarm(t, "baton-orders-db-node-down-db-a")).toMatchObject({
      MetricName: "NodeDown",
      Dimensions: controller([{ Name: "node", Value: "db-a" }]),
      Statistic: "Maximum",
      Threshold: 1,
      TreatMissingData: "ignore",
    });
  });

  it("with detailedMetrics, keeps nodes-down too when it is tuned, and leaves out the per-node alarms given false", () => {
    // Act
    const both = clusterTemplate({ detailedMetrics: true, alarms: { nodesDown: { threshold: 2 } } });
    const neither = clusterTemplate({ detailedMetrics: true, alarms: { nodeDown: false } });
    // Assess
    expect(alarm(both, "baton-orders-db-nodes-down")).toMatchObject({ Threshold: 2 });
    expect(alarm(both, "baton-orders-db-node-down-db-a")).toBeDefined();
    expect(alarmNames(neither).filter((n) => n.includes("node"))).toEqual([]);
  });

  it("refuses per-node alarms without detailedMetrics, whose per-node gauge they watch", () => {
    // Act
    const make = () => clusterTemplate({ alarms: { nodeDown: { threshold: 1 } } });
    // Assess
    expect(make).toThrow(/alarms\.nodeDown .*needs detailedMetrics: true/);
    expect(() => clusterTemplate({ alarms: { nodeDown: false } })).not.toThrow();
  });

  it("exposes the alarms and the metric objects they are built from", () => {
    // Prepare
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Exposed");
    // Act
    const cluster = new FailoverCluster(stack, "Cluster", {
      definition: ClusterDefinitionSource.fromFile(examplePath),
    });
    const detailed = new FailoverCluster(stack, "Detailed", {
      definition: ClusterDefinitionSource.fromFile(examplePath),
      detailedMetrics: true,
    });
    // Assess
    expect(Object.keys(cluster.nodeDownAlarms)).toEqual([]);
    expect(cluster.alarms.nodesDown).toBeDefined();
    expect(Object.keys(detailed.nodeDownAlarms)).toEqual(["db-a", "db-b", "office-1"]);
    expect(detailed.alarms.nodesDown).toBeUndefined();
    expect(cluster.alarms.guardFrozen).toBeDefined();
    expect(cluster.metricGuardFrozen().metricName).toBe("GuardFrozen");
    expect(cluster.metricNodesDown().metricName).toBe("NodesDown");
    expect(cluster.metricGroupsFailed().metricName).toBe("GroupsFailed");
    expect(cluster.metricNodeDown("db-a").dimensions).toEqual({
      cluster: "orders-db",
      service: "baton-controller",
      node: "db-a",
    });
  });
});

describe("dashboard", () => {
  const body = (t: Template) =>
    JSON.stringify(single(t, "AWS::CloudWatch::Dashboard").resource.Properties?.DashboardBody);
  const shows = (text: string, metric: string) => text.includes(`\\"${metric}\\"`);
  /** Published only with detailed metrics: a graph of them would stay empty. */
  const DETAILED_ONLY = [
    "NodeDown",
    "NodesUp",
    "NodesDrained",
    "GroupsOnline",
    "OldestHeartbeatAge",
    "LongestMove",
    "HeartbeatLatency",
  ];

  it("is one dashboard per cluster, named after it, showing the alarms and the metrics published by default", () => {
    // Act
    const { resource } = single(template, "AWS::CloudWatch::Dashboard");
    const text = body(template);
    // Assess
    expect(resource.Properties?.DashboardName).toBe("Baton-orders-db-us-east-1");
    const wanted = [
      "NodesDown",
      "GroupsFailed",
      "GroupsOverdue",
      "GuardFrozen",
      "FailoverDuration",
      "DetectionDelay",
      "ControllerPasses",
      "HeartbeatsForbidden",
      "UrlRequestCount",
    ];
    expect(wanted.filter((metric) => !shows(text, metric))).toEqual([]);
    expect(DETAILED_ONLY.filter((metric) => shows(text, metric))).toEqual([]);
    expect(text).toContain("alarm");
    expect(text).toContain("ClusterAlarmsguardfrozen");
    expect(text).toContain("ClusterAlarmsnodesdown");
  });

  it("shows every metric, the per-node ones too, with detailedMetrics", () => {
    // Act
    const text = body(clusterTemplate({ detailedMetrics: true }));
    // Assess
    expect(DETAILED_ONLY.filter((metric) => !shows(text, metric))).toEqual([]);
    expect(text).toContain("ClusterAlarmsnodedowndba");
  });

  it("is left out with dashboard: false", () => {
    // Act
    const t = clusterTemplate({ dashboard: false });
    // Assess
    expect(Object.keys(t.findResources("AWS::CloudWatch::Dashboard"))).toEqual([]);
  });
});
