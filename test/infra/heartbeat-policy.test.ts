import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoHeartbeatStore } from "../../lib/aws/heartbeat-store.js";
import { itemKeys } from "../../lib/aws/table-layout.js";
import {
  actionsOf,
  lambdaFunction,
  removeCloudAssemblies,
  render,
  single,
  statementsOfRole,
  synthesize,
  type StatementJson,
} from "./synth.js";

// Moto does not check IAM: this test replays every request DynamoHeartbeatStore makes against the synthesized
// heartbeat role, with DynamoDB's fine-grained access rules (dynamodb:LeadingKeys is the request's partition key
// values, dynamodb:Attributes every attribute the request names: its key attributes, and the attributes its
// expressions read, write or test). Unknown condition operators fail the test instead of passing unchecked.

const HEARTBEAT = "baton-heartbeat";
const BOOT = "9b2f6c1e-0000-4000-8000-000000000001";
const OTHER_BOOT = "9b2f6c1e-0000-4000-8000-000000000002";

let statements: StatementJson[];
let tableArn: string;

afterAll(removeCloudAssemblies);

beforeAll(() => {
  const { template } = synthesize(undefined, { bundle: false });
  const { resource } = lambdaFunction(template, HEARTBEAT);
  const roleId = (resource.Properties?.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  statements = statementsOfRole(template, roleId);
  tableArn = `\${${single(template, "AWS::DynamoDB::Table").id}.Arn}`;
});

/** What IAM sees of one DynamoDB request. */
interface DynamoRequest {
  readonly action: string;
  readonly leadingKeys: string[];
  readonly attributes: string[];
}

/** Words of DynamoDB's expression grammar that are not attribute names. */
const KEYWORDS = new Set([
  "SET",
  "REMOVE",
  "ADD",
  "DELETE",
  "AND",
  "OR",
  "NOT",
  "BETWEEN",
  "IN",
  "if_not_exists",
  "list_append",
  "attribute_exists",
  "attribute_not_exists",
  "attribute_type",
  "begins_with",
  "contains",
  "size",
]);

/** The attribute names an expression reads or writes: aliases resolved, bare names kept. */
function namesIn(expression: string | undefined, aliases: Record<string, string> | undefined): string[] {
  const tokens = expression?.match(/[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  return tokens.flatMap((token) => {
    if (token.startsWith(":") || KEYWORDS.has(token)) return [];
    if (!token.startsWith("#")) return [token];
    const name = aliases?.[token];
    if (name === undefined) throw new Error(`alias ${token} is not defined`);
    return [name];
  });
}

function partitionKeys(keys: Record<string, AttributeValue>[]): string[] {
  return keys.map((key) => {
    const value = key.pk?.S;
    if (value === undefined) throw new Error(`key without a string pk: ${JSON.stringify(key)}`);
    return value;
  });
}

/** The requests one command makes, as IAM sees them (one per table; the heartbeat uses one). */
function requestOf(command: unknown): DynamoRequest {
  if (command instanceof UpdateItemCommand) {
    const input = command.input;
    return {
      action: "dynamodb:UpdateItem",
      leadingKeys: partitionKeys([input.Key!]),
      attributes: [
        ...Object.keys(input.Key!),
        ...namesIn(input.UpdateExpression, input.ExpressionAttributeNames),
        ...namesIn(input.ConditionExpression, input.ExpressionAttributeNames),
      ],
    };
  }
  if (command instanceof BatchGetItemCommand) {
    const tables = Object.values(command.input.RequestItems ?? {});
    if (tables.length !== 1) throw new Error("one table per BatchGetItem");
    const { Keys, ProjectionExpression, ExpressionAttributeNames } = tables[0]!;
    return {
      action: "dynamodb:BatchGetItem",
      leadingKeys: partitionKeys(Keys ?? []),
      attributes: [...Object.keys(Keys?.[0] ?? {}), ...namesIn(ProjectionExpression, ExpressionAttributeNames)],
    };
  }
  throw new Error(`unexpected command ${(command as object).constructor.name}`);
}

function conditionHolds(condition: unknown, request: DynamoRequest): boolean {
  for (const [operator, keys] of Object.entries((condition ?? {}) as Record<string, Record<string, unknown>>)) {
    if (operator !== "ForAllValues:StringEquals") throw new Error(`this test does not evaluate ${operator}`);
    for (const [key, allowed] of Object.entries(keys)) {
      const values =
        key === "dynamodb:LeadingKeys"
          ? request.leadingKeys
          : key === "dynamodb:Attributes"
            ? request.attributes
            : undefined;
      if (values === undefined) throw new Error(`this test does not evaluate ${key}`);
      const list = Array.isArray(allowed) ? (allowed as string[]) : [allowed as string];
      if (!values.every((value) => list.includes(value))) return false;
    }
  }
  return true;
}

/** Whether some statement of the heartbeat role allows the request on the table (no Deny statements exist). */
function allowed(request: DynamoRequest): boolean {
  return statements.some((statement) => {
    const resources = Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource];
    return (
      statement.Effect === "Allow" &&
      actionsOf(statement).includes(request.action) &&
      resources.map(render).includes(tableArn) &&
      conditionHolds(statement.Condition, request)
    );
  });
}

/** A client that answers each command with the next scripted outcome, and keeps the commands. */
function scripted(outcomes: (Record<string, unknown> | Error)[]) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      await Promise.resolve();
      sent.push(command);
      const outcome = outcomes.shift() ?? {};
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return { store: new DynamoHeartbeatStore(client as unknown as DynamoDBClient, "baton"), sent };
}

function conditionFailed(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: "The conditional request failed",
    $metadata: { httpStatusCode: 400 },
    ...(item === undefined ? {} : { Item: marshall(item) }),
  });
}

describe("the heartbeat function's table permissions", () => {
  it("allow every request the heartbeat store makes, on every write path and the owners' read", async () => {
    // Prepare: the write paths of DynamoHeartbeatStore.recordHeartbeat (docs/table.md), and readOwnership.
    const heartbeat = { nodeId: "db-a", bootId: BOOT, seq: 7, resources: { postgres: "online" as const } };
    const runs: { outcomes: (Record<string, unknown> | Error)[]; message: Record<string, unknown> }[] = [
      // The next heartbeat of the boot (or the node's first ever).
      { outcomes: [{}], message: {} },
      // A leaving heartbeat that names group epochs.
      { outcomes: [{}], message: { leaving: true, epochs: { postgres: 3 } } },
      // A new boot: the common write fails on the old boot's record, then the exact write.
      {
        outcomes: [conditionFailed({ bootId: OTHER_BOOT, seq: 40, retiredBoots: [], leaseUntil: 5 }), {}],
        message: {},
      },
      // An earlier answer's lease lasts longer: written again on the exact record, keeping that lease.
      {
        outcomes: [conditionFailed({ bootId: BOOT, seq: 6, retiredBoots: [], leaseUntil: 1e15 }), {}],
        message: {},
      },
      // The condition failed without a record (deleted meanwhile): written on its absence.
      { outcomes: [conditionFailed(), {}], message: {} },
    ];
    const requests: DynamoRequest[] = [];
    for (const { outcomes, message } of runs) {
      const { store, sent } = scripted(outcomes);
      await store.recordHeartbeat({ ...heartbeat, ...message }, 1_000, 10_000);
      requests.push(...sent.map(requestOf));
    }
    const { store, sent } = scripted([
      { Responses: { baton: [] } },
      { Responses: { baton: [] } },
      {},
      conditionFailed(),
    ]);
    await store.readOwnership(["postgres", "reports"]);
    // The controller wake-up: the watched peers' read, then its deduplication, claimed and then refused.
    await store.readPeers(["db-b", "office-1"]);
    expect(await store.claimWake(5_000, 2_000, '{"kind":"peer-silent","nodeId":"db-b"}')).toBe(true);
    expect(await store.claimWake(5_500, 2_000, '{"kind":"peer-silent","nodeId":"db-b"}')).toBe(false);
    requests.push(...sent.map(requestOf));
    // Act
    const refused = requests.filter((request) => !allowed(request));
    // Assess
    expect(requests.length).toBeGreaterThanOrEqual(12);
    expect(requests.map((request) => request.action)).toContain("dynamodb:BatchGetItem");
    expect(refused).toEqual([]);
  });

  it("refuse an UpdateItem of a group item, of the controller's items, or of a log partition", () => {
    // Prepare: what a changed heartbeat function could try (sort keys cannot be conditioned on, attributes can).
    const keyAttributes = ["pk", "sk"];
    const attempts: DynamoRequest[] = [
      // A group item's owner, epoch or desired state.
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "owner", "epoch"] },
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "desired"] },
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "status", "plan"] },
      // The controller lease and the guard.
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "holder"] },
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "frozen", "version"] },
      // A node attribute, but in a log partition.
      { action: "dynamodb:UpdateItem", leadingKeys: ["log#2026-11-30"], attributes: [...keyAttributes, "nodeId"] },
      // The wake-up item's attributes mixed with a node's (each statement alone names one or the other).
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "wokenAt", "seq"] },
      // The wake-up's attributes together with a group's.
      { action: "dynamodb:UpdateItem", leadingKeys: ["state"], attributes: [...keyAttributes, "wokenAt", "owner"] },
      // Reading the log.
      { action: "dynamodb:BatchGetItem", leadingKeys: ["log#2026-11-30"], attributes: keyAttributes },
    ];
    // Act
    const granted = attempts.filter(allowed);
    // Assess
    expect(granted).toEqual([]);
    // The same shape with node attributes on the node item is allowed (the refusals are not vacuous).
    expect(
      allowed({
        action: "dynamodb:UpdateItem",
        leadingKeys: [itemKeys.nodeLiveness("db-a").pk],
        attributes: [...keyAttributes, "bootId"],
      }),
    ).toBe(true);
  });
});
