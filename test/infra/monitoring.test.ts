import { App, Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { FailoverCluster, type FailoverClusterProps } from "../../lib/infra/failover-cluster.js";
import {
  examplePath,
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

function clusterTemplate(props: Omit<FailoverClusterProps, "definition"> = {}): Template {
  const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Monitored", {
    env: { account: "123456789012", region: "us-east-1" },
  });
  new FailoverCluster(stack, "Cluster", { definition: ClusterDefinitionSource.fromFile(examplePath), ...props });
  return Template.fromStack(stack);
}

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
    [
      "node-down-db-a",
      "NodeDown",
      controller([{ Name: "node", Value: "db-a" }]),
      "Maximum",
      60,
      "GreaterThanOrEqualToThreshold",
      1,
      1,
      "ignore",
    ],
    [
      "node-down-db-b",
      "NodeDown",
      controller([{ Name: "node", Value: "db-b" }]),
      "Maximum",
      60,
      "GreaterThanOrEqualToThreshold",
      1,
      1,
      "ignore",
    ],
    [
      "node-down-office-1",
      "NodeDown",
      controller([{ Name: "node", Value: "office-1" }]),
      "Maximum",
      60,
      "GreaterThanOrEqualToThreshold",
      1,
      1,
      "ignore",
    ],
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

  it("the heartbeat API's 5xx and 4xx, and the dead-letter queue not empty", () => {
    // Prepare
    const api = single(template, "AWS::ApiGatewayV2::Api").id;
    const queue = single(template, "AWS::SQS::Queue").id;
    // Act
    const server = alarm(template, "baton-orders-db-heartbeat-api-server-errors");
    const client = alarm(template, "baton-orders-db-heartbeat-api-client-errors");
    const letters = alarm(template, "baton-orders-db-dead-letters");
    // Assess
    expect(server).toMatchObject({ Namespace: "AWS/ApiGateway", MetricName: "5xx", Threshold: 1, Period: 300 });
    expect(server.Dimensions).toEqual([{ Name: "ApiId", Value: { Ref: api } }]);
    expect(client).toMatchObject({ Namespace: "AWS/ApiGateway", MetricName: "4xx", Threshold: 10, Period: 300 });
    expect(letters).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Statistic: "Maximum",
      Threshold: 1,
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
    });
  });

  it("makes no other alarm", () => {
    // Act
    const names = Object.values(template.findResources("AWS::CloudWatch::Alarm") as Record<string, CfnResourceJson>)
      .map((a) => a.Properties?.AlarmName as string)
      .sort();
    // Assess: 3 nodes, 7 cluster alarms, 4 function alarms, 1 refusals, 2 API, 1 queue.
    expect(names).toHaveLength(3 + 5 + 4 + 1 + 2 + 1);
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
    expect(alarm(t, "baton-orders-db-node-down-db-a")).toHaveProperty("AlarmActions");
  });

  it("without the per-node alarms, the controller emits no per-node metric either", () => {
    // Act
    const off = clusterTemplate({ alarms: { nodeDown: false } });
    const on = clusterTemplate();
    // Assess
    expect(() => alarm(off, "baton-orders-db-node-down-db-a")).toThrow(/found 0/);
    const variables = (t: Template) =>
      (lambdaFunction(t, "baton-controller").resource.Properties?.Environment as { Variables: Record<string, unknown> })
        .Variables;
    expect(variables(off)).toMatchObject({ BATON_NODE_METRICS: "off" });
    expect(variables(on)).not.toHaveProperty("BATON_NODE_METRICS");
  });

  it("exposes the alarms and the metric objects they are built from", () => {
    // Prepare
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Exposed");
    // Act
    const cluster = new FailoverCluster(stack, "Cluster", {
      definition: ClusterDefinitionSource.fromFile(examplePath),
    });
    // Assess
    expect(Object.keys(cluster.nodeDownAlarms)).toEqual(["db-a", "db-b", "office-1"]);
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
  it("is one dashboard per cluster, named after it, showing the alarms and the metrics they use", () => {
    // Act
    const { resource } = single(template, "AWS::CloudWatch::Dashboard");
    // Assess
    expect(resource.Properties?.DashboardName).toBe("Baton-orders-db-us-east-1");
    const body = JSON.stringify(resource.Properties?.DashboardBody);
    for (const metric of [
      "NodesDown",
      "NodeDown",
      "GroupsFailed",
      "GuardFrozen",
      "FailoverDuration",
      "DetectionDelay",
      "ControllerPasses",
      "HeartbeatLatency",
      "HeartbeatsForbidden",
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain("alarm");
    expect(body).toContain("ClusterAlarmsguardfrozen");
  });

  it("is left out with dashboard: false", () => {
    // Act
    const t = clusterTemplate({ dashboard: false });
    // Assess
    expect(Object.keys(t.findResources("AWS::CloudWatch::Dashboard"))).toEqual([]);
  });
});
