import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { heartbeatRoute, ids } from "./names.js";

/**
 * What a node needs to call the function URL, as IAM statements: since October 2025 a new function URL with
 * `AWS_IAM` auth needs both `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction`
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). Each is held to the URL: the first to an
 * `AWS_IAM` URL (`lambda:FunctionUrlAuthType`), the second to invocations through a function URL
 * (`lambda:InvokedViaFunctionUrl`), so a node cannot invoke the function directly with an event it wrote itself,
 * naming another node's identity in `requestContext.authorizer.iam`. As aws-cdk-lib's `grantInvokeUrl` writes them.
 */
export function functionUrlInvokeStatements(functionArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ["lambda:InvokeFunctionUrl"],
      resources: [functionArn],
      conditions: { StringEquals: { "lambda:FunctionUrlAuthType": lambda.FunctionUrlAuthType.AWS_IAM } },
    }),
    new iam.PolicyStatement({
      actions: ["lambda:InvokeFunction"],
      resources: [functionArn],
      conditions: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
    }),
  ];
}

export interface HeartbeatFunctionUrlProps {
  readonly handler: lambda.IFunction;
}

/**
 * The heartbeat function's own URL (`https://<id>.lambda-url.<region>.on.aws/`), with `AWS_IAM` auth: Lambda checks
 * the SigV4 signature (service `lambda`) and the caller's permission before invoking the function, and passes the
 * caller in `requestContext.authorizer.iam`, as the HTTP API does. It costs nothing beyond the function's own
 * requests and duration. It has no access log (the function's log group keeps its refusals), no stage throttle
 * (per-node fairness is the handler's, docs/security.md) and no routes: the handler answers any path but
 * `/v1/heartbeat` with 404. Also the managed policy that lets a node call it and nothing else.
 */
export class HeartbeatFunctionUrl extends Construct {
  readonly functionUrl: lambda.FunctionUrl;
  /** The URL nodes post heartbeats to (`https://<id>.lambda-url.<region>.on.aws/v1/heartbeat`). */
  readonly heartbeatUrl: string;
  /** Allows calling the heartbeat function through its URL (`functionUrlInvokeStatements`), and nothing else. */
  readonly nodePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: HeartbeatFunctionUrlProps) {
    super(scope, id);
    this.functionUrl = new lambda.FunctionUrl(this, ids.functionUrl, {
      function: props.handler,
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    // The URL ends with "/".
    this.heartbeatUrl = `${this.functionUrl.url}${heartbeatRoute.path.slice(1)}`;
    this.nodePolicy = new iam.ManagedPolicy(this, ids.nodePolicy, {
      description: "Baton node: send heartbeats (the heartbeat function through its URL only).",
      statements: functionUrlInvokeStatements(props.handler.functionArn),
    });
  }
}
