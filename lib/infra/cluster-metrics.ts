/**
 * Baton's metrics as CloudWatch metric objects, each with its default statistic (lib/infra/cluster-alarms.ts and
 * lib/infra/cluster-dashboard.ts are built from them).
 */
import { Duration } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import {
  CONTROLLER_METRICS,
  HEARTBEAT_METRICS,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  SERVICES,
} from "../core/metric-names.js";

export type ControllerMetric = (typeof CONTROLLER_METRICS)[keyof typeof CONTROLLER_METRICS];
export type HeartbeatMetric = (typeof HEARTBEAT_METRICS)[keyof typeof HEARTBEAT_METRICS];

export const ONE_MINUTE = Duration.minutes(1);

/**
 * Baton's metrics as CloudWatch metric objects: the alarms, the dashboard and users' own alarms are built from
 * these, with the names of `lib/core/metric-names.ts`.
 */
export class ClusterMetrics {
  constructor(
    private readonly cluster: string,
    private readonly functions: { readonly controller: lambda.IFunction; readonly heartbeat: lambda.IFunction },
    /** The heartbeat endpoint: the HTTP API, or the heartbeat function's URL (its metrics are the function's). */
    private readonly endpoint: apigwv2.IHttpApi | "function-url",
    private readonly deadLetterQueue: sqs.IQueue,
  ) {}

  /** A controller metric; gauges default to Maximum, counters to Sum, durations to Average (1 minute). */
  controller(metricName: ControllerMetric, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.baton(SERVICES.controller, metricName, options);
  }

  heartbeat(metricName: HeartbeatMetric, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.baton(SERVICES.heartbeat, metricName, options);
  }

  /** The per-node gauge `NodeDown` of `nodeId` (1 while it is down and not drained). */
  nodeDown(nodeId: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.controller(CONTROLLER_METRICS.nodeDown, {
      ...options,
      dimensionsMap: { [METRIC_DIMENSIONS.node]: nodeId, ...options.dimensionsMap },
    });
  }

  /** Heartbeats refused with 403 or 429 by the heartbeat function, together (a metric math expression). */
  heartbeatsRefused(period: Duration = ONE_MINUTE): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      label: "heartbeats refused (403, 429)",
      expression: "FILL(forbidden, 0) + FILL(throttled, 0)",
      usingMetrics: {
        forbidden: this.heartbeat(HEARTBEAT_METRICS.forbidden, { period }),
        throttled: this.heartbeat(HEARTBEAT_METRICS.throttled, { period }),
      },
      period,
    });
  }

  lambdaErrors(fn: "controller" | "heartbeat", period: Duration): cloudwatch.Metric {
    return this.functions[fn].metricErrors({ period, statistic: cloudwatch.Stats.SUM });
  }

  lambdaThrottles(fn: "controller" | "heartbeat", period: Duration): cloudwatch.Metric {
    return this.functions[fn].metricThrottles({ period, statistic: cloudwatch.Stats.SUM });
  }

  /** The endpoint's 5xx answers: `AWS/ApiGateway` `5xx`, or `AWS/Lambda` `Url5xxCount` of the heartbeat function. */
  apiServerErrors(period: Duration): cloudwatch.Metric {
    const options = { period, statistic: cloudwatch.Stats.SUM };
    return this.endpoint === "function-url"
      ? this.functions.heartbeat.metric("Url5xxCount", options)
      : this.endpoint.metricServerError(options);
  }

  /** The endpoint's 4xx answers (its own refusals and the function's): `4xx`, or `Url4xxCount`. */
  apiClientErrors(period: Duration): cloudwatch.Metric {
    const options = { period, statistic: cloudwatch.Stats.SUM };
    return this.endpoint === "function-url"
      ? this.functions.heartbeat.metric("Url4xxCount", options)
      : this.endpoint.metricClientError(options);
  }

  /** Requests to the endpoint: `Count`, or `UrlRequestCount`. */
  apiCount(period: Duration): cloudwatch.Metric {
    const options = { period, statistic: cloudwatch.Stats.SUM };
    return this.endpoint === "function-url"
      ? this.functions.heartbeat.metric("UrlRequestCount", options)
      : this.endpoint.metricCount(options);
  }

  deadLetters(period: Duration): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
  }

  private baton(service: string, metricName: string, options: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      statistic: defaultStatistic(metricName),
      period: ONE_MINUTE,
      ...options,
      dimensionsMap: {
        [METRIC_DIMENSIONS.cluster]: this.cluster,
        [METRIC_DIMENSIONS.service]: service,
        ...options.dimensionsMap,
      },
    });
  }
}

const COUNTERS = new Set<string>([
  CONTROLLER_METRICS.passes,
  CONTROLLER_METRICS.failoversStarted,
  CONTROLLER_METRICS.failoversCompleted,
  CONTROLLER_METRICS.failoversFailed,
  CONTROLLER_METRICS.awsErrors,
  CONTROLLER_METRICS.alarmRequests,
  HEARTBEAT_METRICS.throttled,
  HEARTBEAT_METRICS.forbidden,
  HEARTBEAT_METRICS.stale,
]);
const DURATIONS = new Set<string>([
  CONTROLLER_METRICS.failoverDuration,
  CONTROLLER_METRICS.detectionDelay,
  HEARTBEAT_METRICS.latency,
]);

function defaultStatistic(metricName: string): string {
  if (COUNTERS.has(metricName)) return cloudwatch.Stats.SUM;
  if (DURATIONS.has(metricName)) return cloudwatch.Stats.AVERAGE;
  return cloudwatch.Stats.MAXIMUM;
}
