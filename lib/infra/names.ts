import { METRICS_NAMESPACE, SERVICES } from "../core/metric-names.js";

/**
 * Every name Baton's infrastructure uses, in one place.
 *
 * Construct ids are a contract: CloudFormation logical ids are derived from them, so
 * renaming one replaces the resource (and, for the retained table, orphans the old one).
 * Keep them short and never change them.
 */

/** Construct ids, scoped as written (each one is unique within its parent). */
export const ids = {
  /** The FailoverCluster construct inside BatonStack. */
  cluster: "Cluster",
  /** StateTable, and the DynamoDB table inside it. */
  state: "State",
  table: "Table",
  /** HeartbeatFunction: the function, its role and its log group. */
  heartbeat: "Heartbeat",
  heartbeatFunction: "Function",
  heartbeatRole: "Role",
  heartbeatLogs: "Logs",
  /** ControllerFunction: the function, its role, its log group and the schedule that invokes it. */
  controller: "Controller",
  controllerFunction: "Function",
  controllerRole: "Role",
  controllerLogs: "Logs",
  controllerSchedule: "Schedule",
  /** The rule for the state changes of the alarms groups name in `failoverOn` (only when some group names one). */
  controllerAlarmRule: "AlarmFailover",
  /** HeartbeatApi: the HTTP API, its route, stage, access logs and the node policy. */
  api: "Api",
  httpApi: "HttpApi",
  route: "Route",
  routeIntegration: "Integration",
  stage: "DefaultStage",
  accessLogs: "AccessLogs",
  nodePolicy: "NodePolicy",
  /** HeartbeatFunctionUrl (the default endpoint): the function URL and the node policy (`nodePolicy`). */
  url: "Url",
  functionUrl: "FunctionUrl",
  /** Notifications: the topic, its key and the subscriptions' dead-letter queue. */
  notifications: "Notifications",
  topicKey: "Key",
  topic: "Topic",
  subscriptionDlq: "DeadLetters",
  /**
   * One email subscription per address, named by the address (not its position), so adding
   * or removing one address leaves the other subscriptions, and their confirmations, alone.
   */
  emailSubscription: (address: string): string => `Email-${address}`,
  /** ClusterAlarms: one alarm per key of `ClusterAlarmsProps` (the id is also the end of the alarm's name). */
  alarms: "Alarms",
  alarm: (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
  /** Per node: named by the node id, so adding or removing a node leaves the others' alarms alone. */
  nodeDownAlarm: (nodeId: string): string => `node-down-${nodeId}`,
  /** ClusterDashboard and the dashboard inside it. */
  dashboard: "Dashboard",
  dashboardResource: "Dashboard",
} as const;

/** The stack name of a cluster; one stack per cluster and region. */
export function stackName(cluster: string): string {
  return `baton-${cluster}`;
}

/** Value of `POWERTOOLS_SERVICE_NAME` for the heartbeat function (logs and traces). */
export const heartbeatServiceName = SERVICES.heartbeat;

/** Value of `POWERTOOLS_SERVICE_NAME` for the controller function. */
export const controllerServiceName = SERVICES.controller;

/** Value of `POWERTOOLS_METRICS_NAMESPACE`: the CloudWatch namespace of Baton's metrics. */
export const metricsNamespace = METRICS_NAMESPACE;

/** The heartbeat route: the one route nodes may call. */
export const heartbeatRoute = { method: "POST", path: "/v1/heartbeat" } as const;

/** API Gateway's name for the stage served at the root of the invoke URL. */
export const defaultStageName = "$default";

/**
 * The environment variables the functions' code reads by name (lambdas/*.ts), as constants of their own: a function
 * imports these, never `env`, whose `definition` must not reach a bundle as text (the bundle test checks that esbuild
 * replaced it); an unused `env` made of them is dropped from the bundle.
 */
export const tableNameVariable = "TABLE_NAME";
export const topicArnVariable = "TOPIC_ARN";

/** Environment variable names read by the Lambda functions. */
export const env = {
  tableName: tableNameVariable,
  topicArn: topicArnVariable,
  serviceName: "POWERTOOLS_SERVICE_NAME",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  /** Not an environment variable at run time: replaced in the code by esbuild `define`. */
  definition: "process.env.BATON_DEFINITION",
  /**
   * JSON `{ nodeId: uniqueId }`: the unique ids of node roles the app creates, pinned like a definition's
   * `principalId` (known only at deploy, so not compiled into the code with the definition).
   */
  principalIds: "BATON_PRINCIPAL_IDS",
  /** The heartbeat function's: the controller function it wakes (asynchronous invoke); absent: no wake-ups. */
  controllerFunction: "BATON_CONTROLLER_FUNCTION",
  /**
   * Both functions': "detailed" publishes every gauge, the per-node `NodeDown` and the heartbeat latency
   * (`FailoverClusterProps.detailedMetrics`); absent, only the gauges the default alarms watch (`ALARM_GAUGES`).
   */
  metrics: "BATON_METRICS",
} as const;

/** CloudFormation output ids of BatonStack (also the keys in `cdk deploy --outputs-file`). */
export const outputs = {
  heartbeatUrl: "HeartbeatUrl",
  tableName: "TableName",
  topicArn: "TopicArn",
  nodeHeartbeatPolicyArn: "NodeHeartbeatPolicyArn",
  controllerFunctionName: "ControllerFunctionName",
} as const;

/** Context key of `cdk synth -c config=PATH` and the file used without it. */
export const configContextKey = "config";
/** `-c networkInterfaceTag=KEY=VALUE`: see `FailoverClusterProps.networkInterfaceTag`. */
export const networkInterfaceTagContextKey = "networkInterfaceTag";
export const defaultConfigPath = "examples/cluster.yaml";
