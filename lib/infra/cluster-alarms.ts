// Over 300 lines: each alarm's prop, its defaults (with what to do) and the construct that makes them: three lists
// of the same alarms, read side by side (docs/alarms.md).
/** The alarms `FailoverCluster` makes (docs/alarms.md): their settings, their defaults, and the construct. */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { ClusterDefinition } from "../core/definition/types.js";
import { CONTROLLER_METRICS } from "../core/metric-names.js";
import { type ClusterMetrics, ONE_MINUTE } from "./cluster-metrics.js";
import { ids } from "./names.js";

/**
 * One alarm's settings. Every alarm is on by default; give `false` instead to leave it out, or some of these to
 * retune it (the rest keep their defaults, docs/alarms.md).
 */
export interface AlarmTuning {
  /** The value compared with the metric (with the alarm's own comparison: at least, or less than for `controllerNotRunning`). */
  readonly threshold?: number;
  /** How many periods are evaluated. */
  readonly evaluationPeriods?: number;
  /** How many of those must breach. @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** The metric's period. */
  readonly period?: Duration;
  /**
   * Whether the alarm publishes to the cluster's topic when it enters ALARM and when it returns to OK.
   * @default true
   */
  readonly notify?: boolean;
}

/**
 * The alarms `FailoverCluster` creates, each on by default: `false` leaves one out, an `AlarmTuning` retunes it.
 * Like cdk-monitoring-constructs' alarm props, one record for all.
 */
export interface ClusterAlarmsProps {
  /**
   * Some node is down (not heard for lease + grace) and not drained: one alarm for the cluster, on `NodesDown`.
   * @default on, unless `detailedMetrics` (then the per-node `nodeDown` alarms take its place)
   */
  readonly nodesDown?: AlarmTuning | false;
  /**
   * Per node: the node is down and not drained. Needs `FailoverClusterProps.detailedMetrics` (the per-node gauge).
   * @default on with `detailedMetrics`, else off
   */
  readonly nodeDown?: AlarmTuning | false;
  /** Some group is `failed` (left for an operator). */
  readonly groupsFailed?: AlarmTuning | false;
  /** Some group has not been online for longer than its failover bound. */
  readonly groupsOverdue?: AlarmTuning | false;
  /** A failover failed, or a group was left failed by its threshold. */
  readonly failoversFailed?: AlarmTuning | false;
  /** The mass-failure guard holds automatic failover frozen (in ALARM for as long as it does). */
  readonly guardFrozen?: AlarmTuning | false;
  /** No controller pass for `evaluationPeriods` minutes (missing data is breaching). */
  readonly controllerNotRunning?: AlarmTuning | false;
  /** Controller invocations that ended in error (every pass of the invocation failed, or the function crashed). */
  readonly controllerErrors?: AlarmTuning | false;
  /** Controller invocations throttled (its one slot was busy: a scheduled run, a manual one, an alarm event). */
  readonly controllerThrottles?: AlarmTuning | false;
  /** Heartbeat function errors (crashes; a refused heartbeat is not an error). */
  readonly heartbeatErrors?: AlarmTuning | false;
  /** Heartbeat function invocations throttled by Lambda (concurrency). */
  readonly heartbeatThrottles?: AlarmTuning | false;
  /** Heartbeats refused with 403 (signed by the wrong identity) or 429 (a node flooding), by the function. */
  readonly heartbeatsRefused?: AlarmTuning | false;
  /** The heartbeat endpoint's 5xx answers (function URL or HTTP API). */
  readonly heartbeatApiServerErrors?: AlarmTuning | false;
  /** The heartbeat endpoint's 4xx answers (unsigned or wrongly signed requests refused by it, the function's refusals). */
  readonly heartbeatApiClientErrors?: AlarmTuning | false;
  /** Notifications SNS could not deliver are waiting in the dead-letter queue. */
  readonly deadLetters?: AlarmTuning | false;
}

/** The alarms' names: keys of `ClusterAlarmsProps`. */
export type ClusterAlarmKey = keyof ClusterAlarmsProps;

interface AlarmDefault {
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly period: Duration;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly missing: cloudwatch.TreatMissingData;
  readonly description: string;
}

const AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const FIVE_MINUTES = Duration.minutes(5);
/** A state gauge: while the controller emits nothing, keep the state (`controllerNotRunning` covers that). */
const KEEP = cloudwatch.TreatMissingData.IGNORE;
/** A counter: no data is nothing happened. */
const NOTHING = cloudwatch.TreatMissingData.NOT_BREACHING;

/** Each alarm's defaults; docs/alarms.md lists them with what to do. */
export const ALARM_DEFAULTS: Readonly<Record<ClusterAlarmKey, AlarmDefault>> = {
  nodesDown: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: KEEP,
    description: "a node is down: no heartbeat for longer than lease + grace (`baton status` names it)",
  },
  nodeDown: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: KEEP,
    description: "is down: no heartbeat for longer than lease + grace",
  },
  groupsFailed: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: KEEP,
    description: "a group is failed: it is left for an operator (docs/operations.md, restarting a failed group)",
  },
  groupsOverdue: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: KEEP,
    description: "a group has not been online for longer than its failover bound",
  },
  failoversFailed: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "a failover failed, or a group was left failed by its failover threshold",
  },
  guardFrozen: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: KEEP,
    description: "automatic failover is frozen: more than half of the nodes went silent at once",
  },
  controllerNotRunning: {
    threshold: 1,
    evaluationPeriods: 3,
    period: ONE_MINUTE,
    comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    missing: cloudwatch.TreatMissingData.BREACHING,
    description: "the controller made no pass: nothing fails a group over",
  },
  controllerErrors: {
    threshold: 1,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "controller invocations failed",
  },
  controllerThrottles: {
    threshold: 5,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "controller invocations throttled (its one slot was busy)",
  },
  heartbeatErrors: {
    threshold: 1,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "the heartbeat function failed",
  },
  heartbeatThrottles: {
    threshold: 1,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "heartbeat function invocations throttled by Lambda",
  },
  heartbeatsRefused: {
    threshold: 1,
    evaluationPeriods: 1,
    period: ONE_MINUTE,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "heartbeats refused with 403 (wrong identity) or 429 (a node flooding)",
  },
  heartbeatApiServerErrors: {
    threshold: 1,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "the heartbeat endpoint (function URL or HTTP API) answered 5xx",
  },
  heartbeatApiClientErrors: {
    threshold: 10,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "the heartbeat endpoint answered 4xx (unsigned or wrongly signed requests, refusals, throttling)",
  },
  deadLetters: {
    threshold: 1,
    evaluationPeriods: 1,
    period: FIVE_MINUTES,
    comparison: AT_LEAST,
    missing: NOTHING,
    description: "notifications SNS could not deliver wait in the dead-letter queue",
  },
};

export interface ClusterAlarmsConstructProps {
  readonly definition: ClusterDefinition;
  readonly metrics: ClusterMetrics;
  readonly topic: sns.ITopic;
  readonly alarms?: ClusterAlarmsProps;
  /** Whether the per-node gauge is published: the per-node alarms replace the cluster-wide one by default. */
  readonly detailedMetrics: boolean;
}

/** The alarms of `ClusterAlarmsProps`, each publishing to the topic on ALARM and on OK (unless `notify: false`). */
export class ClusterAlarms extends Construct {
  /** Every alarm made, by key; `nodeDown` is per node (`nodeDown` below). */
  readonly alarms: Partial<Record<Exclude<ClusterAlarmKey, "nodeDown">, cloudwatch.Alarm>> = {};
  /** The per-node alarms, by node id. */
  readonly nodeDown: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: ClusterAlarmsConstructProps) {
    super(scope, id);
    const { definition, metrics } = props;
    const cluster = definition.cluster;
    const action = new actions.SnsAction(props.topic);
    const make = (
      key: ClusterAlarmKey,
      constructId: string,
      metric: (period: Duration) => cloudwatch.IMetric,
      subject: string,
    ): cloudwatch.Alarm | undefined => {
      const tuning = props.alarms?.[key];
      if (tuning === false) return undefined;
      const base = ALARM_DEFAULTS[key];
      const evaluationPeriods = tuning?.evaluationPeriods ?? base.evaluationPeriods;
      const alarm = new cloudwatch.Alarm(this, constructId, {
        alarmName: `baton-${cluster}-${constructId}`,
        alarmDescription: `Baton cluster ${cluster}: ${subject === "" ? "" : `${subject} `}${base.description}. What to do: docs/alarms.md#${key.toLowerCase()}`,
        metric: metric(tuning?.period ?? base.period),
        threshold: tuning?.threshold ?? base.threshold,
        evaluationPeriods,
        datapointsToAlarm: tuning?.datapointsToAlarm ?? evaluationPeriods,
        comparisonOperator: base.comparison,
        treatMissingData: base.missing,
      });
      if (tuning?.notify !== false) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      return alarm;
    };
    const set = (key: Exclude<ClusterAlarmKey, "nodeDown">, metric: (period: Duration) => cloudwatch.IMetric) => {
      const alarm = make(key, ids.alarm(key), metric, "");
      if (alarm !== undefined) this.alarms[key] = alarm;
    };

    const m = CONTROLLER_METRICS;
    // One alarm for a node down: the cluster's, or with detailed metrics each node's (unless asked for both).
    const nodesDownWanted = props.alarms?.nodesDown ?? (props.detailedMetrics ? false : undefined);
    if (nodesDownWanted !== false) {
      const alarm = make(
        "nodesDown",
        ids.alarm("nodesDown"),
        (period) => metrics.controller(m.nodesDown, { period }),
        "",
      );
      if (alarm !== undefined) this.alarms.nodesDown = alarm;
    }
    for (const node of props.detailedMetrics ? definition.nodes : []) {
      const alarm = make(
        "nodeDown",
        ids.nodeDownAlarm(node.id),
        (period) => metrics.nodeDown(node.id, { period }),
        `node ${node.id}`,
      );
      if (alarm !== undefined) this.nodeDown[node.id] = alarm;
    }
    set("groupsFailed", (period) => metrics.controller(m.groupsFailed, { period }));
    set("groupsOverdue", (period) => metrics.controller(m.groupsOverdue, { period }));
    set("failoversFailed", (period) => metrics.controller(m.failoversFailed, { period }));
    set("guardFrozen", (period) => metrics.controller(m.guardFrozen, { period }));
    set("controllerNotRunning", (period) => metrics.controller(m.passes, { period }));
    set("controllerErrors", (period) => metrics.lambdaErrors("controller", period));
    set("controllerThrottles", (period) => metrics.lambdaThrottles("controller", period));
    set("heartbeatErrors", (period) => metrics.lambdaErrors("heartbeat", period));
    set("heartbeatThrottles", (period) => metrics.lambdaThrottles("heartbeat", period));
    set("heartbeatsRefused", (period) => metrics.heartbeatsRefused(period));
    set("heartbeatApiServerErrors", (period) => metrics.apiServerErrors(period));
    set("heartbeatApiClientErrors", (period) => metrics.apiClientErrors(period));
    set("deadLetters", (period) => metrics.deadLetters(period));
  }

  /** Every alarm made, per-node ones included. */
  all(): cloudwatch.Alarm[] {
    return [...Object.values(this.nodeDown), ...Object.values(this.alarms)];
  }
}
