import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controllerScope } from "../../lib/infra/controller-permissions.js";
import {
  actionsOf,
  bundle,
  codeKey,
  exampleVariant,
  lambdaFunction,
  removeCloudAssemblies,
  render,
  repoRoot,
  single,
  statementsOfRole,
  synthesize,
  withoutControllerResources,
  type CfnResourceJson,
  type StatementJson,
  type Synthesized,
} from "./synth.js";

const CONTROLLER = "baton-controller";
const HEARTBEAT = "baton-heartbeat";
const EC2 = "arn:${AWS::Partition}:ec2:us-east-1:123456789012";
const DB_A = `${EC2}:instance/i-0a1b2c3d4e5f60001`;
const DB_B = `${EC2}:instance/i-0a1b2c3d4e5f60002`;
const ZONE = "arn:${AWS::Partition}:route53:::hostedzone/Z0A1B2C3D4E5F6";

let example: Synthesized;
let template: Template;

afterAll(removeCloudAssemblies);

beforeAll(() => {
  example = synthesize();
  template = example.template;
});

/** A statement in a comparable form: actions and rendered resources sorted, the condition if any. */
interface Grant {
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: unknown;
}

function grant(statement: StatementJson): Grant {
  const resources = Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource];
  return {
    actions: actionsOf(statement).sort(),
    resources: resources.map(render).sort(),
    ...(statement.Condition === undefined ? {} : { condition: statement.Condition }),
  };
}

/** Every statement of the controller's role, as grants, after checking they are all plain Allow statements. */
function controllerGrants(synthesized: Template): Grant[] {
  const { resource } = lambdaFunction(synthesized, CONTROLLER);
  const roleId = (resource.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  const statements = statementsOfRole(synthesized, roleId);
  expect(statements.every((statement) => statement.Effect === "Allow" && statement.Principal === undefined)).toBe(true);
  return statements.map(grant);
}

function logicalId(synthesized: Template, type: string, pathPart: string): string {
  const found = Object.entries(synthesized.findResources(type) as Record<string, CfnResourceJson>).filter(([id]) =>
    id.includes(pathPart),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} with ${pathPart} in its id, found ${found.length}`);
  return found[0]![0];
}

describe("controller function", () => {
  it("runs Node.js 24 on arm64 with 512 MB for 70 s at most, one at a time, traced, JSON logs to its own log group", () => {
    // Prepare
    const table = single(template, "AWS::DynamoDB::Table");
    const topic = single(template, "AWS::SNS::Topic");
    const logGroups = template.findResources("AWS::Logs::LogGroup");
    const heartbeat = lambdaFunction(template, HEARTBEAT);
    // Act
    const { resource } = lambdaFunction(template, CONTROLLER);
    // Assess
    expect(resource.Properties).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 70,
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: "Active" },
      LoggingConfig: { LogFormat: "JSON", ApplicationLogLevel: "INFO" },
    });
    expect((resource.Properties?.Environment as { Variables: unknown }).Variables).toEqual({
      TABLE_NAME: { Ref: table.id },
      TOPIC_ARN: { Ref: topic.id },
      POWERTOOLS_SERVICE_NAME: "baton-controller",
      POWERTOOLS_METRICS_NAMESPACE: "Baton",
    });
    const logGroupOf = (fn: CfnResourceJson): string =>
      (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(logGroups[logGroupOf(resource)]?.Properties).toMatchObject({ RetentionInDays: 30 });
    expect(logGroupOf(resource)).not.toBe(logGroupOf(heartbeat.resource));
  });

  it("is bundled from lambdas/controller.ts, with the definition, as an ES module that exports the handler", () => {
    // Prepare: inside the repository, so the AWS SDK left out of the bundle resolves as in the Lambda runtime.
    const key = codeKey(example, CONTROLLER);
    const directory = join(repoRoot, "node_modules", ".cache", "baton-infra-test", key);
    mkdirSync(directory, { recursive: true });
    const code = bundle(example, CONTROLLER);
    writeFileSync(join(directory, "index.mjs"), code);
    // Act
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `const m = await import("./index.mjs"); console.log(typeof m.handler);`],
      {
        cwd: directory,
        encoding: "utf8",
        timeout: 60_000,
        env: {
          ...process.env,
          TABLE_NAME: "t",
          TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
          AWS_REGION: "us-east-1",
        },
      },
    );
    rmSync(directory, { recursive: true, force: true });
    // Assess
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout.trim()).toBe("function");
    expect(key).not.toBe(codeKey(example, HEARTBEAT));
    // The same esbuild define as the heartbeat function: the definition is in the code, not the environment.
    expect(code).not.toContain("process.env.BATON_DEFINITION");
    expect(code).toContain(JSON.stringify(example.source.document));
  });

  it("is not retried when an asynchronous invocation fails, and drops events older than 60 s", () => {
    // Prepare
    const fn = lambdaFunction(template, CONTROLLER);
    // Act
    const { resource } = single(template, "AWS::Lambda::EventInvokeConfig");
    // Assess
    expect(resource.Properties).toEqual({
      FunctionName: { Ref: fn.id },
      Qualifier: "$LATEST",
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it("is invoked every minute by an EventBridge rule that neither retries nor delivers late", () => {
    // Prepare
    const fn = lambdaFunction(template, CONTROLLER);
    // Act
    const rule = single(template, "AWS::Events::Rule");
    // Assess
    expect(rule.resource.Properties).toMatchObject({ ScheduleExpression: "rate(1 minute)", State: "ENABLED" });
    expect(rule.resource.Properties?.Targets).toEqual([
      {
        Id: expect.any(String) as unknown,
        Arn: { "Fn::GetAtt": [fn.id, "Arn"] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    ]);
    const permissionId = logicalId(template, "AWS::Lambda::Permission", "ControllerSchedule");
    expect(template.findResources("AWS::Lambda::Permission")[permissionId]?.Properties).toEqual({
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [fn.id, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [rule.id, "Arn"] },
    });
  });

  it("has its name in the stack outputs", () => {
    // Prepare
    const fn = lambdaFunction(template, CONTROLLER);
    // Act
    const outputs = template.findOutputs("ControllerFunctionName");
    // Assess
    expect(outputs.ControllerFunctionName?.Value).toEqual({ Ref: fn.id });
    expect(example.stack.cluster.controllerFunction.node.path).toBe("baton-orders-db/Cluster/Controller/Function");
  });
});

describe("controller permissions", () => {
  it("are exactly the statements the example definition calls for", () => {
    // Prepare
    const table = single(template, "AWS::DynamoDB::Table");
    const topic = single(template, "AWS::SNS::Topic");
    const key = single(template, "AWS::KMS::Key");
    const logs = logicalId(template, "AWS::Logs::LogGroup", "ControllerLogs");
    // Act
    const grants = controllerGrants(template);
    // Assess
    const expected: Grant[] = [
      {
        // ConditionCheckItem: a group write based on node reports is a TransactWriteItems whose ConditionChecks
        // are authorized one by one (docs/table.md).
        actions: [
          "dynamodb:BatchWriteItem",
          "dynamodb:ConditionCheckItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:UpdateItem",
        ],
        resources: [`\${${table.id}.Arn}`],
      },
      { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`\${${logs}.Arn}`] },
      // No resource-level permissions: kept to the definition's region instead.
      {
        actions: ["ec2:DescribeAddresses", "ec2:DescribeInstances", "ec2:DescribeVolumes"],
        resources: ["*"],
        condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
      },
      // postgres is fenced with stop-instance: its owners db-a and db-b may be stopped.
      { actions: ["ec2:StopInstances"], resources: [DB_A, DB_B] },
      // The volume and the instances it may be attached to (postgres's owners), both evaluated.
      {
        actions: ["ec2:AttachVolume", "ec2:DetachVolume"],
        resources: [DB_A, DB_B, `${EC2}:volume/vol-0a1b2c3d4e5f60001`],
      },
      { actions: ["ec2:AssociateAddress"], resources: [`${EC2}:elastic-ip/eipalloc-0a1b2c3d4e5f60001`, DB_A, DB_B] },
      // The instance's network interface is evaluated too; its id is unknown, its zone is the owners'.
      {
        actions: ["ec2:AssociateAddress"],
        resources: [`${EC2}:network-interface/*`],
        condition: { StringEquals: { "ec2:AvailabilityZone": ["us-east-1a"] } },
      },
      {
        actions: ["route53:ChangeResourceRecordSets"],
        resources: [ZONE],
        condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["db.example.com", "reports.example.com"],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        },
      },
      { actions: ["route53:ListResourceRecordSets"], resources: [ZONE] },
      { actions: ["route53:GetChange"], resources: ["arn:${AWS::Partition}:route53:::change/*"] },
      { actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources: ["*"] },
      { actions: ["sns:Publish"], resources: [`\${${topic.id}}`] },
      { actions: ["kms:Decrypt", "kms:GenerateDataKey*"], resources: [`\${${key.id}.Arn}`] },
      // Integration events (docs/events.md): the default bus of the cluster's region and account, source baton only.
      {
        actions: ["events:PutEvents"],
        resources: ["arn:${AWS::Partition}:events:us-east-1:123456789012:event-bus/default"],
        condition: { StringEquals: { "events:source": ["baton"] } },
      },
    ];
    const order = (grants: Grant[]): Grant[] =>
      [...grants].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(order(grants)).toEqual(order(expected));
  });

  it("leave out every EC2 change and Route 53 when the definition has no volume, address, record or fencing", () => {
    // Prepare
    const source = exampleVariant(withoutControllerResources);
    // Act
    const grants = controllerGrants(synthesize(source, { bundle: false }).template);
    // Assess
    const actions = grants.flatMap((g) => g.actions);
    expect(actions.filter((action) => action.startsWith("ec2:")).sort()).toEqual([
      "ec2:DescribeAddresses",
      "ec2:DescribeInstances",
      "ec2:DescribeVolumes",
    ]);
    expect(actions.filter((action) => action.startsWith("route53:"))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(["dynamodb:Query", "sns:Publish", "logs:PutLogEvents"]));
  });

  it("allow StopInstances alone when a group without volume or address is fenced with stop-instance", () => {
    // Prepare
    const source = exampleVariant((document) => {
      withoutControllerResources(document);
      const reports = (document.groups as { preferredOwners: string[]; fencing: string }[])[1]!;
      reports.preferredOwners = ["db-b"];
      reports.fencing = "stop-instance";
    });
    // Act
    const grants = controllerGrants(synthesize(source, { bundle: false }).template);
    // Assess
    const ec2Changes = grants.filter((g) => g.actions.some((a) => a.startsWith("ec2:") && !a.startsWith("ec2:Desc")));
    expect(ec2Changes).toEqual([{ actions: ["ec2:StopInstances"], resources: [DB_B] }]);
  });

  it("let AssociateAddress use network interfaces only in the zones of the EC2 owners of groups with an address", () => {
    // Prepare: a second address whose group's owners are db-c (us-east-1b) and db-a (us-east-1a).
    const source = exampleVariant((document) => {
      (document.nodes as Record<string, unknown>[]).push({
        id: "db-c",
        kind: "ec2",
        instanceId: "i-0a1b2c3d4e5f60003",
        availabilityZone: "us-east-1b",
        principal: "arn:aws:iam::123456789012:role/baton-node",
      });
      (document.groups as Record<string, unknown>[]).push({
        id: "web",
        preferredOwners: ["db-c", "db-a"],
        resources: [{ id: "web-ip", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d4e5f60002" }],
      });
    });
    // Act
    const grants = controllerGrants(synthesize(source, { bundle: false }).template);
    // Assess
    const associate = grants.filter((g) => g.actions.includes("ec2:AssociateAddress"));
    expect(associate).toEqual([
      {
        actions: ["ec2:AssociateAddress"],
        resources: [
          `${EC2}:elastic-ip/eipalloc-0a1b2c3d4e5f60001`,
          `${EC2}:elastic-ip/eipalloc-0a1b2c3d4e5f60002`,
          DB_A,
          DB_B,
          `${EC2}:instance/i-0a1b2c3d4e5f60003`,
        ].sort(),
      },
      {
        actions: ["ec2:AssociateAddress"],
        resources: [`${EC2}:network-interface/*`],
        condition: { StringEquals: { "ec2:AvailabilityZone": ["us-east-1a", "us-east-1b"] } },
      },
    ]);
  });
});

describe("controllerScope", () => {
  it("gives one entry per hosted zone, in order of first use, with its record names in lower case", () => {
    // Prepare
    const source = exampleVariant((document) => {
      const [postgres, reports] = document.groups as { resources: Record<string, unknown>[] }[];
      postgres!.resources.push({ id: "dns2", type: "dns-record", hostedZoneId: "Z9OTHER", name: "DB.Example.org" });
      reports!.resources.push({
        id: "dns3",
        type: "dns-record",
        hostedZoneId: "Z0A1B2C3D4E5F6",
        name: "Api.Example.COM",
      });
    });
    // Act
    const scope = controllerScope(source.definition);
    // Assess
    expect(scope.hostedZones).toEqual([
      { hostedZoneId: "Z0A1B2C3D4E5F6", recordNames: ["db.example.com", "reports.example.com", "api.example.com"] },
      { hostedZoneId: "Z9OTHER", recordNames: ["db.example.org"] },
    ]);
    expect(scope).toMatchObject({
      stopInstanceIds: ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
      volumeIds: ["vol-0a1b2c3d4e5f60001"],
      volumeOwnerInstanceIds: ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
      allocationIds: ["eipalloc-0a1b2c3d4e5f60001"],
      addressOwnerInstanceIds: ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
      addressOwnerZones: ["us-east-1a"],
    });
  });

  it("gets one ChangeResourceRecordSets statement per hosted zone, each with its own names", () => {
    // Prepare
    const source = exampleVariant((document) => {
      const [postgres] = document.groups as { resources: Record<string, unknown>[] }[];
      postgres!.resources.push({ id: "dns2", type: "dns-record", hostedZoneId: "Z9OTHER", name: "db.example.org" });
    });
    // Act
    const grants = controllerGrants(synthesize(source, { bundle: false }).template);
    // Assess
    const changes = grants.filter((g) => g.actions.includes("route53:ChangeResourceRecordSets"));
    const namesByZone = Object.fromEntries(
      changes.map((g) => {
        const condition = g.condition as Record<string, Record<string, string[]>>;
        return [
          g.resources.join(","),
          condition["ForAllValues:StringEquals"]?.["route53:ChangeResourceRecordSetsNormalizedRecordNames"],
        ];
      }),
    );
    expect(namesByZone).toEqual({
      [ZONE]: ["db.example.com", "reports.example.com"],
      "arn:${AWS::Partition}:route53:::hostedzone/Z9OTHER": ["db.example.org"],
    });
    expect(changes).toHaveLength(2);
    expect(grants.find((g) => g.actions.includes("route53:ListResourceRecordSets"))?.resources).toEqual([
      "arn:${AWS::Partition}:route53:::hostedzone/Z0A1B2C3D4E5F6",
      "arn:${AWS::Partition}:route53:::hostedzone/Z9OTHER",
    ]);
  });
});
