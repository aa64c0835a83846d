import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { ClusterDefinition } from "../core/definition/types.js";
import { type StageThrottle, stageThrottle } from "../core/heartbeat/capacity.js";
import { defaultStageName, heartbeatRoute, ids } from "./names.js";

/**
 * The `$default` stage's throttle, from the cluster's node count and heartbeat interval
 * (`stageThrottle`: rate = 4 x nodes / interval + 250 requests/s, burst = 2 x rate; docs/deployment.md,
 * "Heartbeat capacity"). It is shared by every caller, so it bounds cost, not fairness: well above
 * the nodes' own load, with room for one caller flooding at 250 requests/s, which the handler refuses
 * per node before any write. 3 nodes at 2 s: 256/s, burst 512; the largest definition accepted
 * (500 heartbeats/s): 2,250/s, burst 4,500, under the account's 10,000/s and burst 5,000.
 */
export function heartbeatThrottleFor(definition: ClusterDefinition): StageThrottle {
  return stageThrottle(definition.nodes.length, definition.timing.heartbeatIntervalMs);
}

/** One JSON object per request, with the IAM caller, so a denied or failed heartbeat can be traced to a node. */
const accessLogFormat = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: "$context.requestId",
    requestTime: "$context.requestTime",
    routeKey: "$context.routeKey",
    status: "$context.status",
    responseLength: "$context.responseLength",
    responseLatency: "$context.responseLatency",
    sourceIp: "$context.identity.sourceIp",
    userAgent: "$context.identity.userAgent",
    caller: "$context.identity.caller",
    userArn: "$context.identity.userArn",
    accountId: "$context.identity.accountId",
    error: "$context.error.message",
    authorizerError: "$context.authorizer.error",
    integrationError: "$context.integrationErrorMessage",
    integrationLatency: "$context.integration.latency",
  }),
);

export interface HeartbeatApiProps {
  readonly handler: lambda.IFunction;
  /** The stage's throttle: `heartbeatThrottleFor(definition)`. */
  readonly throttle: apigwv2.ThrottleSettings;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The HTTP API nodes send heartbeats to: one route, `POST /v1/heartbeat`, authorized with
 * IAM (SigV4), served by the `$default` stage with JSON access logs and throttling. Also
 * the managed policy that lets a node call that route and nothing else.
 */
export class HeartbeatApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** ARN of the heartbeat route on the `$default` stage, the resource of `execute-api:Invoke`. */
  readonly routeArn: string;
  /** Allows `execute-api:Invoke` on the heartbeat route, and nothing else. */
  readonly nodePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: HeartbeatApiProps) {
    super(scope, id);

    this.api = new apigwv2.HttpApi(this, ids.httpApi, {
      description: "Baton heartbeats from cluster nodes (IAM authorization).",
      // The default stage is created below, with access logs and throttling.
      createDefaultStage: false,
    });

    new apigwv2.HttpRoute(this, ids.route, {
      httpApi: this.api,
      routeKey: apigwv2.HttpRouteKey.with(heartbeatRoute.path, apigwv2.HttpMethod.POST),
      integration: new HttpLambdaIntegration(ids.routeIntegration, props.handler, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
      authorizer: new HttpIamAuthorizer(),
    });

    this.accessLogs = new logs.LogGroup(this, ids.accessLogs, { retention: props.logRetention });
    this.stage = new apigwv2.HttpStage(this, ids.stage, {
      httpApi: this.api,
      stageName: defaultStageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat,
      },
    });

    this.routeArn = this.api.arnForExecuteApi(heartbeatRoute.method, heartbeatRoute.path, defaultStageName);
    this.nodePolicy = new iam.ManagedPolicy(this, ids.nodePolicy, {
      description: "Baton node: send heartbeats (execute-api:Invoke on POST /v1/heartbeat only).",
      statements: [new iam.PolicyStatement({ actions: ["execute-api:Invoke"], resources: [this.routeArn] })],
    });
  }
}
