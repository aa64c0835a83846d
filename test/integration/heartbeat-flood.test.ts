/**
 * One node flooding the heartbeat endpoint, against the real table (moto): the real handler and
 * DynamoDB adapter, on the function's clock simulated, with every UpdateItem that reaches DynamoDB
 * counted by node. The flooding node's excess is refused before the write; the others are answered.
 */
import { randomUUID } from "node:crypto";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createDynamoDbClient } from "../../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../../lib/aws/heartbeat-store.js";
import { itemKeys } from "../../lib/aws/table-layout.js";
import { createHeartbeatHandler } from "../../lib/handlers/heartbeat.js";
import { exampleIndex } from "../support/example-cluster.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../support/heartbeat-events.js";
import { createStateTable, useFreshMoto } from "./support/aws.js";

const TABLE = "baton-heartbeat-flood-it";
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
type NodeId = "db-a" | "db-b" | "office-1";

beforeEach(async () => {
  await useFreshMoto();
  await createStateTable(TABLE);
});

describe("one node flooding at 100 requests/s for 10 s, against DynamoDB (moto)", () => {
  it("writes 29 of its 1,000 heartbeats and answers every heartbeat of the others", async () => {
    // Prepare: a client that counts the UpdateItem calls sent to the table, by the node item they write.
    const client = createDynamoDbClient();
    const writes = new Map<string, number>();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UpdateItemCommand") {
          const sk = (args.input as { Key?: { sk?: { S?: string } } }).Key?.sk?.S ?? "?";
          writes.set(sk, (writes.get(sk) ?? 0) + 1);
        }
        return next(args);
      },
      { step: "initialize", name: "countWrites" },
    );
    let now = T0;
    const quiet = () => undefined;
    const handler = createHeartbeatHandler({
      index: exampleIndex(),
      store: new DynamoHeartbeatStore(client, TABLE),
      clock: { now: () => now },
      logger: { debug: quiet, warn: quiet, error: quiet },
      metrics: { addMetric: quiet, publishStoredMetrics: quiet },
    });
    const sends: { nodeId: NodeId; at: number }[] = [
      ...Array.from({ length: 1_000 }, (_, i) => ({ nodeId: "db-a" as const, at: T0 + i * 10 })),
      ...Array.from({ length: 5 }, (_, i) => ({ nodeId: "db-b" as const, at: T0 + 3 + i * 2_000 })),
      ...Array.from({ length: 5 }, (_, i) => ({ nodeId: "office-1" as const, at: T0 + 7 + i * 2_000 })),
    ].sort((a, b) => a.at - b.at);
    const boots = { "db-a": randomUUID(), "db-b": randomUUID(), "office-1": randomUUID() };
    const seq = { "db-a": 0, "db-b": 0, "office-1": 0 };
    const statuses: Record<NodeId, (number | undefined)[]> = { "db-a": [], "db-b": [], "office-1": [] };
    // Act
    for (const { nodeId, at } of sends) {
      now = at;
      const body = heartbeatBody(nodeId, { bootId: boots[nodeId], seq: ++seq[nodeId] });
      statuses[nodeId].push((await handler(heartbeatEvent(body, CALLERS[nodeId]), LAMBDA_CONTEXT)).statusCode);
    }
    // Assess: db-a's allowance is 10 at once, then 4 per 2 s interval: 10 + 4 x 5 intervals, less the one due at
    // 10 s itself (its last is sent at 9.99 s) = 29 written; the other 971 refused with 429, never written.
    expect(statuses["db-b"]).toEqual([200, 200, 200, 200, 200]);
    expect(statuses["office-1"]).toEqual([200, 200, 200, 200, 200]);
    expect(statuses["db-a"].filter((status) => status === 200)).toHaveLength(10 + 4 * 5 - 1);
    expect(statuses["db-a"].filter((status) => status === 429)).toHaveLength(1_000 - 29);
    expect(Object.fromEntries(writes)).toEqual({ "node#db-a": 29, "node#db-b": 5, "node#office-1": 5 });
    const item = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: marshall(itemKeys.nodeLiveness("db-b")), ConsistentRead: true }),
    );
    expect(unmarshall(item.Item ?? {})).toMatchObject({ nodeId: "db-b", seq: 5 });
  });
});
