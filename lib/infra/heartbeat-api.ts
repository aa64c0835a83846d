import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { defaultStageName, heartbeatRoute, ids } from "./names.js";

/**
 * Stage-wide limits. A node sends one heartbeat per interval, so even a large cluster
 * stays far below them; they only bound what a misbehaving (or compromised) caller costs.
 */
export const heartbeatThrottle: apigwv2.ThrottleSettings = { rateLimit: 50, burstLimit: 100 };

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
      throttle: heartbeatThrottle,
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
