/**
 * Every CloudWatch metric Baton emits, in one table: the handlers emit these names and the CDK construct builds its
 * alarms and dashboard from the same ones, so there is never a second spelling. docs/alarms.md says what each costs.
 *
 * All are in namespace {@link METRICS_NAMESPACE} with dimensions `cluster` and `service` (Powertools adds `service`);
 * the per-node gauge {@link CONTROLLER_METRICS.nodeDown} also has `node`. By default only {@link ALARM_GAUGES} are
 * published on every pass; detailed metrics publish the rest.
 */

/** CloudWatch namespace of every Baton metric. */
export const METRICS_NAMESPACE = "Baton";

/** Dimension names. */
export const METRIC_DIMENSIONS = { cluster: "cluster", service: "service", node: "node" } as const;

/** Values of the `service` dimension (and of `POWERTOOLS_SERVICE_NAME`). */
export const SERVICES = { controller: "baton-controller", heartbeat: "baton-heartbeat" } as const;

/** What the controller emits, on every pass (gauges and `passes`) or when something happens (counters). */
export const CONTROLLER_METRICS = {
  /** Count, 1 per pass that read the table: the controller is running. */
  passes: "ControllerPasses",
  // Gauges, every pass whatever happened.
  nodesUp: "NodesUp",
  /** Nodes of the definition that are not up (drained nodes are not counted). */
  nodesDown: "NodesDown",
  nodesDrained: "NodesDrained",
  groupsOnline: "GroupsOnline",
  groupsMoving: "GroupsMoving",
  groupsOffline: "GroupsOffline",
  groupsFailed: "GroupsFailed",
  /** Groups not online for longer than their failover bound (`failoverBoundMs`). */
  groupsOverdue: "GroupsOverdue",
  /** 1 while the mass-failure guard holds automatic failover frozen, else 0. */
  guardFrozen: "GuardFrozen",
  /** Milliseconds since the last heartbeat of the up node heard longest ago (0 when none is up). */
  oldestHeartbeatAge: "OldestHeartbeatAge",
  /** Milliseconds the longest-running move has run (0 when none). */
  longestMove: "LongestMove",
  /**
   * Per node (dimension `node`), once per invocation: 1 when the node is down and not drained, else 0. Detailed
   * metrics only (one metric per node).
   */
  nodeDown: "NodeDown",
  // Counters, on the pass where they happen.
  failoversStarted: "FailoversStarted",
  failoversCompleted: "FailoversCompleted",
  /** A move that failed, or a group left failed by the threshold. */
  failoversFailed: "FailoversFailed",
  failoverDuration: "FailoverDuration",
  detectionDelay: "DetectionDelay",
  awsErrors: "AwsErrors",
  /** Alarm-driven failover requests received (whether or not they moved a group). */
  alarmRequests: "AlarmFailoverRequests",
} as const;

/**
 * The gauges published on every pass by default: those the default alarms watch (docs/alarms.md), and nothing
 * else, since each metric name costs $0.30 a month (docs/cost.md). `ControllerPasses` (`controllerNotRunning`),
 * `NodesDown` (`nodesDown`), `GroupsFailed`, `GroupsOverdue`, `GuardFrozen`. The other gauges, the per-node `NodeDown`
 * and the heartbeat latency are published with detailed metrics (`FailoverClusterProps.detailedMetrics`); the counters
 * of what happened (failovers, refusals, AWS errors) whenever it happens, which on a quiet cluster is never.
 */
export const ALARM_GAUGES: readonly string[] = [
  CONTROLLER_METRICS.passes,
  CONTROLLER_METRICS.nodesDown,
  CONTROLLER_METRICS.groupsFailed,
  CONTROLLER_METRICS.groupsOverdue,
  CONTROLLER_METRICS.guardFrozen,
];

/** What the heartbeat function emits: refusals by status (batched), answered heartbeats' latency (batched). */
export const HEARTBEAT_METRICS = {
  /** 429: the node sent far faster than its interval. */
  throttled: "HeartbeatsThrottled",
  /** 403: signed by an identity that is not the node's (someone signs wrongly, or impersonates). */
  forbidden: "HeartbeatsForbidden",
  /** 409: an older heartbeat than the node's latest (a replay, or two agents for one node). */
  stale: "HeartbeatsStale",
  /** Milliseconds from receipt to answer, of heartbeats answered 200. */
  latency: "HeartbeatLatency",
} as const;
