import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { FailoverCluster } from "../../lib/infra/failover-cluster.js";
import { exampleVariant, lambdaFunction, removeCloudAssemblies, render, single, synthesize } from "./synth.js";

/** The heartbeat endpoint of both kinds: the function URL (the default) and the HTTP API (`endpoint: http-api`). */
let urlTemplate: Template;
let apiTemplate: Template;
let apiSource: ClusterDefinitionSource;
let urlSource: ClusterDefinitionSource;

afterAll(removeCloudAssemblies);

beforeAll(() => {
  urlSource = exampleVariant(() => undefined);
  apiSource = exampleVariant((document) => {
    document.endpoint = "http-api";
  });
  urlTemplate = synthesize(urlSource, { bundle: false }).template;
  apiTemplate = synthesize(apiSource, { bundle: false }).template;
});

const HEARTBEAT = "baton-heartbeat";

/** The user's own policy statements after `grantHeartbeat`. */
function grantedStatements(source: ClusterDefinitionSource): Record<string, unknown>[] {
  const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Test");
  const cluster = new FailoverCluster(stack, "Cluster", { definition: source });
  const user = new iam.User(stack, "Operator");
  expect(cluster.grantHeartbeat(user).success).toBe(true);
  const userId = stack.getLogicalId(user.node.defaultChild as iam.CfnUser);
  return Object.values(
    Template.fromStack(stack).findResources("AWS::IAM::Policy", { Properties: { Users: [{ Ref: userId }] } }),
  ).flatMap(
    (policy) =>
      (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement,
  );
}

describe("function URL (the default endpoint)", () => {
  it("is the heartbeat function's URL with AWS_IAM auth, and there is no HTTP API, stage or access log", () => {
    // Prepare
    const heartbeat = lambdaFunction(urlTemplate, HEARTBEAT).id;
    // Act
    const { resource } = single(urlTemplate, "AWS::Lambda::Url");
    // Assess
    expect(resource.Properties).toEqual({
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [heartbeat, "Arn"] },
    });
    expect(urlTemplate.findResources("AWS::ApiGatewayV2::Api")).toEqual({});
    expect(urlTemplate.findResources("AWS::ApiGatewayV2::Stage")).toEqual({});
    // The functions' own log groups only (the heartbeat's keeps its refusals).
    expect(Object.keys(urlTemplate.findResources("AWS::Logs::LogGroup"))).toHaveLength(2);
  });

  it("gives the function no resource policy that would let anyone in: the node policy is the only way", () => {
    // Act
    const permissions = Object.values(urlTemplate.findResources("AWS::Lambda::Permission")).map(
      (p) => p.Properties as Record<string, unknown>,
    );
    // Assess: only the controller's own invokers (the schedule), none naming the heartbeat function or the URL.
    const heartbeat = lambdaFunction(urlTemplate, HEARTBEAT).id;
    expect(permissions.filter((p) => JSON.stringify(p).includes(heartbeat))).toEqual([]);
  });

  it("outputs the URL nodes post to: the function URL with /v1/heartbeat", () => {
    // Prepare
    const url = single(urlTemplate, "AWS::Lambda::Url").id;
    // Act
    const outputs = urlTemplate.findOutputs("HeartbeatUrl");
    // Assess
    expect(render(outputs.HeartbeatUrl?.Value)).toBe(`\${${url}.FunctionUrl}v1/heartbeat`);
    expect(Object.keys(urlTemplate.findOutputs("*")).sort()).toEqual([
      "ControllerFunctionName",
      "HeartbeatUrl",
      "NodeHeartbeatPolicyArn",
      "TableName",
      "TopicArn",
    ]);
  });

  it("lets a node invoke the heartbeat function through an AWS_IAM function URL, and nothing else", () => {
    // Prepare
    const heartbeat = lambdaFunction(urlTemplate, HEARTBEAT).id;
    const arn = { "Fn::GetAtt": [heartbeat, "Arn"] };
    // Act
    const { resource } = single(urlTemplate, "AWS::IAM::ManagedPolicy");
    // Assess: both actions, as AWS requires since October 2025; InvokeFunction only through the URL, so a node
    // cannot invoke the function directly with an event naming another node's identity.
    const document = resource.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    expect(document.Statement).toEqual([
      {
        Effect: "Allow",
        Action: "lambda:InvokeFunctionUrl",
        Resource: arn,
        Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
      },
      {
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: arn,
        Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
      },
    ]);
  });

  it("grantHeartbeat adds the node policy's two statements to the grantee's policy", () => {
    // Act
    const statements = grantedStatements(urlSource);
    // Assess
    expect(statements.map((s) => [s.Action, s.Condition])).toEqual([
      ["lambda:InvokeFunctionUrl", { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } }],
      ["lambda:InvokeFunction", { Bool: { "lambda:InvokedViaFunctionUrl": "true" } }],
    ]);
  });
});

describe("HTTP API (endpoint: http-api)", () => {
  it("has exactly one route, POST /v1/heartbeat, with IAM authorization and a 2.0 Lambda proxy, and no function URL", () => {
    // Prepare
    const integration = single(apiTemplate, "AWS::ApiGatewayV2::Integration");
    // Act
    const { resource } = single(apiTemplate, "AWS::ApiGatewayV2::Route");
    // Assess
    expect(resource.Properties).toMatchObject({
      RouteKey: "POST /v1/heartbeat",
      AuthorizationType: "AWS_IAM",
      Target: { "Fn::Join": ["", ["integrations/", { Ref: integration.id }]] },
    });
    expect(integration.resource.Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
    });
    expect(apiTemplate.findResources("AWS::Lambda::Url")).toEqual({});
  });

  it("derives the stage's throttle from the node count and interval: 200 nodes at 500ms get 1,850/s, burst 3,700", () => {
    // Prepare: the example with 197 on-premise nodes added and a 500 ms interval: 400 heartbeats/s.
    const source = exampleVariant((document) => {
      document.endpoint = "http-api";
      const nodes = document.nodes as unknown[];
      for (let i = nodes.length; i < 200; i++) {
        nodes.push({
          id: `n-${i}`,
          kind: "onprem",
          principal: `arn:aws:iam::123456789012:role/baton-node-${i}`,
          address: "203.0.113.20",
        });
      }
      document.timing = { heartbeatInterval: "500ms", leaseDuration: "5s", controllerTick: "1s" };
    });
    // Act
    const { template: large } = synthesize(source, { bundle: false });
    // Assess: rate = 4 x 400 + 250 = 1,850 requests/s, burst = 2 x 1,850.
    const { resource } = single(large, "AWS::ApiGatewayV2::Stage");
    expect(resource.Properties?.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 1_850,
      ThrottlingBurstLimit: 3_700,
    });
  });

  it("serves the $default stage with JSON access logs and throttling", () => {
    // Prepare
    const logGroups = apiTemplate.findResources("AWS::Logs::LogGroup");
    // Act
    const { resource } = single(apiTemplate, "AWS::ApiGatewayV2::Stage");
    // Assess
    expect(resource.Properties).toMatchObject({ StageName: "$default", AutoDeploy: true });
    // 3 nodes at 2 s: rate = ceil(4 x 3 / 2 s) + 250 = 256 requests/s, burst = 2 x 256 (docs/deployment.md).
    expect(resource.Properties?.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 256, ThrottlingBurstLimit: 512 });
    const settings = resource.Properties?.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const destination = settings.DestinationArn as { "Fn::GetAtt": [string, string] };
    expect(logGroups[destination["Fn::GetAtt"][0]]).toBeDefined();
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: "$context.requestId",
      status: "$context.status",
      userArn: "$context.identity.userArn",
    });
  });

  it("outputs the heartbeat URL", () => {
    // Prepare
    const api = single(apiTemplate, "AWS::ApiGatewayV2::Api");
    // Act
    const outputs = apiTemplate.findOutputs("HeartbeatUrl");
    // Assess
    expect(render(outputs.HeartbeatUrl?.Value)).toBe(
      `https://\${${api.id}}.execute-api.us-east-1.\${AWS::URLSuffix}/v1/heartbeat`,
    );
  });

  it("lets a node call execute-api:Invoke on the heartbeat route of the $default stage, and nothing else", () => {
    // Prepare
    const api = single(apiTemplate, "AWS::ApiGatewayV2::Api");
    // Act
    const { resource } = single(apiTemplate, "AWS::IAM::ManagedPolicy");
    // Assess
    const document = resource.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] };
    expect(document.Statement).toHaveLength(1);
    const [statement] = document.Statement;
    expect(Object.keys(statement ?? {}).sort()).toEqual(["Action", "Effect", "Resource"]);
    expect(statement).toMatchObject({ Effect: "Allow", Action: "execute-api:Invoke" });
    expect(render(statement?.Resource)).toBe(
      `arn:\${AWS::Partition}:execute-api:us-east-1:123456789012:\${${api.id}}/$default/POST/v1/heartbeat`,
    );
  });

  it("grantHeartbeat adds execute-api:Invoke on the heartbeat route to the grantee's policy", () => {
    // Act
    const statements = grantedStatements(apiSource);
    // Assess
    expect(statements).toHaveLength(1);
    expect(render((statements[0] as { Resource: unknown }).Resource)).toMatch(/\/\$default\/POST\/v1\/heartbeat$/);
    expect(statements[0]).toMatchObject({ Action: "execute-api:Invoke", Effect: "Allow" });
  });
});
