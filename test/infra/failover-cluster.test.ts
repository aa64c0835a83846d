import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { FailoverCluster } from "../../lib/infra/failover-cluster.js";
import {
  actionsOf,
  bundle,
  codeKey,
  lambdaFunction,
  removeCloudAssemblies,
  render,
  repoRoot,
  single,
  statementsOfRole,
  synthesize,
  type Synthesized,
} from "./synth.js";

let example: Synthesized;
let template: Template;

afterAll(removeCloudAssemblies);

beforeAll(() => {
  example = synthesize();
  template = example.template;
});

/** The example document with `change` applied, validated again. */
function variant(change: (document: Record<string, unknown>) => void): ClusterDefinitionSource {
  const document = structuredClone(example.source.document) as Record<string, unknown>;
  change(document);
  return ClusterDefinitionSource.fromObject(document);
}

const HEARTBEAT = "baton-heartbeat";

describe("state table", () => {
  it("is one on-demand table keyed pk/sk, with PITR, deletion protection, TTL, retained on delete", () => {
    // Prepare
    const tables = template.findResources("AWS::DynamoDB::Table");
    // Act
    const { resource } = single(template, "AWS::DynamoDB::Table");
    // Assess
    expect(Object.keys(tables)).toHaveLength(1);
    expect(resource.DeletionPolicy).toBe("Retain");
    expect(resource.UpdateReplacePolicy).toBe("Retain");
    expect(resource.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    expect(resource.Properties).not.toHaveProperty("TableName");
  });
});

describe("heartbeat function", () => {
  it("runs Node.js 24 on arm64, untraced (docs/cost.md), JSON logs to its own log group, with the table name", () => {
    // Prepare
    const table = single(template, "AWS::DynamoDB::Table");
    const logGroups = template.findResources("AWS::Logs::LogGroup");
    // Act
    const { resource } = lambdaFunction(template, HEARTBEAT);
    // Assess
    expect(resource.Properties).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      LoggingConfig: { LogFormat: "JSON", ApplicationLogLevel: "INFO" },
      Environment: {
        Variables: { TABLE_NAME: { Ref: table.id }, POWERTOOLS_SERVICE_NAME: "baton-heartbeat" },
      },
    });
    const properties = resource.Properties ?? {};
    // Right-sized by bench:sizing (docs/cost.md): the handler waits on DynamoDB; more memory only costs more.
    expect(properties.MemorySize).toBe(128);
    expect(properties.Timeout).toBeGreaterThanOrEqual(1);
    expect(properties.Timeout).toBeLessThanOrEqual(5);
    const logGroupId = (properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(logGroups[logGroupId]?.Properties).toMatchObject({ RetentionInDays: 30 });
  });

  it("carries the definition in its code, not in its environment", () => {
    // Prepare
    const { resource } = lambdaFunction(template, HEARTBEAT);
    // Act
    const code = bundle(example, HEARTBEAT);
    // Assess
    expect(code).not.toContain("process.env.BATON_DEFINITION");
    // esbuild prints the defined string literal with single quotes: the JSON text appears as is.
    expect(code).toContain(JSON.stringify(example.source.document));
    expect(JSON.stringify(resource.Properties?.Environment)).not.toContain("BATON_DEFINITION");
  });

  it("is an ES module that loads and exports the handler", () => {
    // Prepare: inside the repository, so the AWS SDK left out of the bundle resolves as in the Lambda runtime.
    const directory = join(repoRoot, "node_modules", ".cache", "baton-infra-test", codeKey(example, HEARTBEAT));
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, "index.mjs"), bundle(example, HEARTBEAT));
    // Act
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `const m = await import("./index.mjs"); console.log(typeof m.handler);`],
      {
        cwd: directory,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, TABLE_NAME: "t", AWS_REGION: "us-east-1" },
      },
    );
    rmSync(directory, { recursive: true, force: true });
    // Assess
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout.trim()).toBe("function");
  });

  it("gets a new code asset when the definition changes, and the same one when it does not", () => {
    // Prepare
    const changed = variant((document) => {
      document.notifications = { email: ["ops@example.com", "dba@example.com"] };
    });
    // Act
    const again = synthesize(ClusterDefinitionSource.fromObject(example.source.document));
    const other = synthesize(changed);
    // Assess
    expect(codeKey(again, HEARTBEAT)).toBe(codeKey(example, HEARTBEAT));
    expect(codeKey(other, HEARTBEAT)).not.toBe(codeKey(example, HEARTBEAT));
  });

  it("may only update node items and read the state partition of the table, write its own logs and send traces", () => {
    // Prepare
    const table = single(template, "AWS::DynamoDB::Table");
    const { resource } = lambdaFunction(template, HEARTBEAT);
    const roleId = (resource.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    // Act
    const statements = statementsOfRole(template, roleId);
    // Assess
    const dynamodb = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith("dynamodb:")));
    // UpdateItem only in the state partition and only of the keys and node liveness attributes (docs/table.md):
    // node and group items share the partition, so the attributes are what keep it off group items.
    expect(dynamodb).toEqual([
      {
        Effect: "Allow",
        Action: "dynamodb:UpdateItem",
        Resource: { "Fn::GetAtt": [table.id, "Arn"] },
        Condition: {
          "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": ["state"],
            "dynamodb:Attributes": [
              "pk",
              "sk",
              "nodeId",
              "bootId",
              "seq",
              "receivedAt",
              "bootStartedAt",
              "resources",
              "retiredBoots",
              "retiredAt",
              "leaving",
              "epochs",
              "leaseMs",
              "leaseUntil",
              "agentVersion",
            ],
          },
        },
      },
      {
        Effect: "Allow",
        Action: "dynamodb:BatchGetItem",
        Resource: { "Fn::GetAtt": [table.id, "Arn"] },
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["state"] } },
      },
      // The controller wake-up's deduplication item: the keys and its own two attributes, nothing else.
      {
        Effect: "Allow",
        Action: "dynamodb:UpdateItem",
        Resource: { "Fn::GetAtt": [table.id, "Arn"] },
        Condition: {
          "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": ["state"],
            "dynamodb:Attributes": ["pk", "sk", "wokenAt", "wakeReason"],
          },
        },
      },
    ]);
    // Wake-ups: the cluster's controller function, and no other.
    const controller = lambdaFunction(template, "baton-controller");
    const invoke = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith("lambda:")));
    expect(invoke).toEqual([
      { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: { "Fn::GetAtt": [controller.id, "Arn"] } },
    ]);
    const others = statements.filter((statement) => !dynamodb.includes(statement) && !invoke.includes(statement));
    expect(others.every((statement) => statement.Effect === "Allow" && statement.Condition === undefined)).toBe(true);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:UpdateItem",
      "dynamodb:UpdateItem",
      "lambda:InvokeFunction",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    expect(resource.Properties?.TracingConfig).toBeUndefined();
  });
});

describe("both functions", () => {
  it("wait for their role's default policy before they are created, and name their role only in Role", () => {
    // Prepare
    const policies = template.findResources("AWS::IAM::Policy") as Record<string, { Properties: { Roles: unknown } }>;
    for (const service of [HEARTBEAT, "baton-controller"]) {
      // Act
      const { resource } = lambdaFunction(template, service);
      // Assess: a default policy (X-Ray, and the controller's SNS/KMS grants) must exist before the function
      // runs; the role itself is already a dependency through the GetAtt (a DependsOn on it is cfn-lint W3005).
      const roleId = (resource.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
      const defaultPolicies = Object.entries(policies)
        .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .map(([id]) => id);
      // The heartbeat function, untraced, has none: every permission of its role is inline.
      expect(defaultPolicies).toHaveLength(service === HEARTBEAT ? 0 : 1);
      expect((resource as { DependsOn?: unknown }).DependsOn).toEqual(
        defaultPolicies.length === 0 ? undefined : defaultPolicies,
      );
    }
  });
});

describe("notifications", () => {
  it("encrypt the topic with a rotated customer-managed key that CloudWatch alarms may use", () => {
    // Prepare
    const key = single(template, "AWS::KMS::Key");
    // Act
    const topic = single(template, "AWS::SNS::Topic");
    // Assess
    expect(topic.resource.Properties?.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [key.id, "Arn"] });
    expect(key.resource.Properties?.EnableKeyRotation).toBe(true);
    const keyPolicy = key.resource.Properties?.KeyPolicy as { Statement: Record<string, unknown>[] };
    // Only on behalf of this account's alarms (confused deputy): CloudWatch sets aws:SourceAccount when it uses the key.
    expect(keyPolicy.Statement.filter((statement) => JSON.stringify(statement).includes("cloudwatch"))).toEqual([
      {
        Sid: "AllowCloudWatchAlarmsToPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
  });

  it("subscribe each email address of the definition, with a dead-letter queue", () => {
    // Prepare
    const source = variant((document) => {
      document.notifications = { email: ["ops@example.com", "dba@example.com"] };
    });
    // Act
    const twoEmails = synthesize(source).template;
    // Assess
    for (const [synthesized, emails] of [
      [template, ["ops@example.com"]],
      [twoEmails, ["ops@example.com", "dba@example.com"]],
    ] as const) {
      const topic = single(synthesized, "AWS::SNS::Topic");
      const queue = single(synthesized, "AWS::SQS::Queue");
      const subscriptions = Object.values(synthesized.findResources("AWS::SNS::Subscription"));
      expect(subscriptions.map((subscription) => subscription.Properties as unknown)).toEqual(
        expect.arrayContaining(
          emails.map((email) => ({
            Protocol: "email",
            Endpoint: email,
            TopicArn: { Ref: topic.id },
            RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [queue.id, "Arn"] } },
          })),
        ),
      );
      expect(subscriptions).toHaveLength(emails.length);
    }
  });

  it("refuse publishing without TLS", () => {
    // Prepare
    const topic = single(template, "AWS::SNS::Topic");
    // Act
    const policies = template.findResources("AWS::SNS::TopicPolicy", {
      Properties: {
        Topics: [{ Ref: topic.id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      },
    });
    // Assess
    expect(Object.keys(policies)).toHaveLength(1);
  });
});

describe("nodeRoles", () => {
  // No bundling: these tests are about the construct's checks and IAM wiring only.
  const app = (): Stack =>
    new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Test", { env: { region: "us-east-1" } });

  it("attaches the node heartbeat policy to each role given", () => {
    // Prepare
    const stack = app();
    const role = new iam.Role(stack, "DbA", { assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com") });
    const imported = iam.Role.fromRoleName(stack, "Office", "baton-node-office-1");
    // Act
    new FailoverCluster(stack, "Cluster", {
      definition: example.source,
      nodeRoles: { "db-a": role, "office-1": imported },
    });
    // Assess
    const policy = single(Template.fromStack(stack), "AWS::IAM::ManagedPolicy");
    expect(policy.resource.Properties?.Roles).toEqual([
      { Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) },
      "baton-node-office-1",
    ]);
  });

  /** The heartbeat function's environment variables in the synthesized template. */
  function heartbeatEnvironment(stack: Stack): Record<string, unknown> {
    const functions = Template.fromStack(stack).findResources("AWS::Lambda::Function", {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: HEARTBEAT } } },
    });
    const [heartbeat] = Object.values(functions) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    return heartbeat?.Properties.Environment.Variables ?? {};
  }

  it("pins the unique id of a node role the app creates to every node whose principal it is", () => {
    // Prepare: db-a and db-b share the instance role baton-node (examples/cluster.yaml).
    const stack = app();
    const role = new iam.Role(stack, "Nodes", {
      roleName: "baton-node",
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    });
    // Act
    new FailoverCluster(stack, "Cluster", { definition: example.source, nodeRoles: { "db-a": role } });
    // Assess: the role's RoleId, resolved at deploy, for both nodes; none for office-1.
    const roleId = { "Fn::GetAtt": [stack.getLogicalId(role.node.defaultChild as iam.CfnRole), "RoleId"] };
    expect(heartbeatEnvironment(stack).BATON_PRINCIPAL_IDS).toEqual({
      "Fn::Join": ["", ['{"db-a":"', roleId, '","db-b":"', roleId, '"}']],
    });
  });

  it("pins nothing for an imported role or one without a roleName, whose unique id or name the app does not know", () => {
    // Prepare
    const stack = app();
    const unnamed = new iam.Role(stack, "DbA", { assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com") });
    const imported = iam.Role.fromRoleName(stack, "Office", "baton-node-office-1");
    // Act
    new FailoverCluster(stack, "Cluster", {
      definition: example.source,
      nodeRoles: { "db-a": unnamed, "office-1": imported },
    });
    // Assess
    expect(heartbeatEnvironment(stack)).not.toHaveProperty("BATON_PRINCIPAL_IDS");
  });

  it("rejects a role the app creates that is not the node's principal, naming both", () => {
    // Prepare
    const stack = app();
    const role = new iam.Role(stack, "Other", {
      roleName: "orders-db-a-instance",
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    });
    // Act
    const build = () =>
      new FailoverCluster(stack, "Cluster", { definition: example.source, nodeRoles: { "db-a": role } });
    // Assess
    expect(build).toThrow(
      /node "db-a", "orders-db-a-instance", is not its principal arn:aws:iam::123456789012:role\/baton-node/,
    );
    expect(stack.node.tryFindChild("Cluster")).toBeUndefined();
  });

  it("rejects a key that is not a node of the definition, naming it", () => {
    // Prepare
    const stack = app();
    const role = new iam.Role(stack, "Ghost", { assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com") });
    // Act
    const build = () =>
      new FailoverCluster(stack, "Cluster", { definition: example.source, nodeRoles: { "db-a": role, dbz: role } });
    // Assess
    expect(build).toThrow(
      /nodeRoles: "dbz" is not a node of cluster "orders-db" \(its nodes: "db-a", "db-b", "office-1"\)/,
    );
    expect(stack.node.tryFindChild("Cluster")).toBeUndefined();
  });
});

describe("networkInterfaceTag", () => {
  const build = (tag: { key: string; value: string }): (() => Template) => {
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Test", {
      env: { region: "us-east-1", account: "123456789012" },
    });
    return () => {
      new FailoverCluster(stack, "Cluster", { definition: example.source, networkInterfaceTag: tag });
      return Template.fromStack(stack);
    };
  };

  it("lets AssociateAddress use only network interfaces that carry the tag, in the owners' zones", () => {
    // Prepare
    const synthesizeWithTag = build({ key: "baton:cluster", value: "orders-db" });
    // Act
    const tagged = synthesizeWithTag();
    // Assess
    const { resource } = lambdaFunction(tagged, "baton-controller");
    const roleId = (resource.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const interfaces = statementsOfRole(tagged, roleId).filter((statement) =>
      JSON.stringify(statement.Resource).includes("network-interface"),
    );
    expect(interfaces.map((statement) => ({ ...statement, Resource: render(statement.Resource) }))).toEqual([
      {
        Effect: "Allow",
        Action: "ec2:AssociateAddress",
        Resource: "arn:${AWS::Partition}:ec2:us-east-1:123456789012:network-interface/*",
        Condition: {
          StringEquals: { "ec2:AvailabilityZone": ["us-east-1a"], "aws:ResourceTag/baton:cluster": "orders-db" },
        },
      },
    ]);
  });

  it("refuses a tag key or value EC2 would not accept, naming the problem", () => {
    // Prepare
    const attempts = [
      { key: "", value: "x" },
      { key: "aws:cluster", value: "x" },
      { key: "k".repeat(129), value: "x" },
      { key: "baton:cluster", value: "v".repeat(257) },
    ];
    // Act
    const errors = attempts.map((tag) => {
      try {
        build(tag)();
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    });
    // Assess
    expect(errors).toEqual([
      expect.stringMatching(/networkInterfaceTag\.key must be 1 to 128 characters/),
      expect.stringMatching(/networkInterfaceTag\.key must not start with "aws:"/),
      expect.stringMatching(/networkInterfaceTag\.key must be 1 to 128 characters/),
      expect.stringMatching(/networkInterfaceTag\.value must be at most 256 characters/),
    ]);
  });
});

describe("the stack's region", () => {
  it("must be the definition's region when it is known: the controller's EC2 permissions are for that region", () => {
    // Prepare
    const stack = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Test", {
      env: { region: "eu-west-1" },
    });
    // Act
    const build = () => new FailoverCluster(stack, "Cluster", { definition: example.source });
    // Assess
    expect(build).toThrow(
      /FailoverCluster: the stack is in region eu-west-1, but cluster "orders-db" is in us-east-1 \(its definition's region\)/,
    );
    expect(stack.node.tryFindChild("Cluster")).toBeUndefined();
  });
});
