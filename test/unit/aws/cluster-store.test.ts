import { TransactionCanceledException, type TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import { AwsThrottledError, AwsUnavailableError } from "../../../lib/core/aws-errors.js";
import { StateConflictError } from "../../../lib/core/controller/adapters.js";
import { emptyGroupRecord } from "../../../lib/core/controller/records.js";

// moto cancels a transaction only for a failed condition; DynamoDB also cancels one for throttling or a
// concurrent write, item by item. Here the client answers as DynamoDB does.

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const REPORT = { nodeId: "db-a", bootId: "9b2f6c1e-0000-4000-8000-000000000001", seq: 3 };

/** A client that cancels every transaction with these reasons (index 0: the group's Put) and records what it sent. */
function cancelling(codes: string[]) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      await Promise.resolve();
      sent.push(command);
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(", ")}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    },
  };
  return { store: new DynamoClusterStateStore(client as never, "baton"), sent };
}

const record = { ...emptyGroupRecord("postgres", NOW), version: 5 };

describe("DynamoClusterStateStore.writeGroup based on node reports, on DynamoDB's cancellation reasons", () => {
  it("takes a throttled item as throttling (retry later), not as a conflict", async () => {
    // Prepare
    const { store } = cancelling(["None", "ThrottlingError"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(AwsThrottledError);
    await expect(write).rejects.toMatchObject({ operation: "DynamoDB TransactWriteItems", code: "ThrottlingError" });
  });

  it("takes a failed condition on the group's Put as a version conflict", async () => {
    // Prepare
    const { store } = cancelling(["ConditionalCheckFailed", "None"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(StateConflictError);
    await expect(write).rejects.toThrow("group postgres first: its stored version is no longer 4");
    await expect(write).rejects.not.toThrow(/db-a/);
  });

  it("takes a failed condition on a node item as that node's report having changed", async () => {
    // Prepare
    const { store } = cancelling(["None", "ConditionalCheckFailed"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(StateConflictError);
    await expect(write).rejects.toThrow(`Node db-a has reported again`);
    await expect(write).rejects.not.toThrow(/version/);
  });

  it("takes a transaction conflict (a heartbeat written meanwhile) as a conflict: read again, decide again", async () => {
    // Prepare
    const { store } = cancelling(["None", "TransactionConflict"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(StateConflictError);
  });

  it("takes any other reason as unavailable", async () => {
    // Prepare
    const { store } = cancelling(["ValidationError", "None"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(AwsUnavailableError);
  });

  it("checks a node named twice with the same report once, and refuses two different reports of one node", async () => {
    // Prepare
    const { store, sent } = cancelling(["None", "None"]);
    // Act
    const same = store.writeGroup(record, 4, [REPORT, { ...REPORT }]);
    const different = store.writeGroup(record, 4, [REPORT, { ...REPORT, seq: 4 }]);
    // Assess
    await expect(same).rejects.toBeInstanceOf(AwsUnavailableError);
    const input = (sent[0] as TransactWriteItemsCommand).input;
    expect(input.TransactItems).toHaveLength(2);
    expect(input.TransactItems?.[1]?.ConditionCheck).toMatchObject({
      Key: { pk: { S: "state" }, sk: { S: "node#db-a" } },
      // The same boot, at this report or a later one: a later heartbeat of the same boot does not undo what
      // the report says (a confirmed stop holds until a group write assigns it again, which the version
      // check catches), and an exact-seq check fails on every pass longer than a heartbeat interval.
      ConditionExpression: "#boot = :boot AND #seq >= :seq",
      ExpressionAttributeValues: { ":boot": { S: REPORT.bootId }, ":seq": { N: "3" } },
    });
    await expect(different).rejects.toBeInstanceOf(StateConflictError);
    expect(sent).toHaveLength(1);
  });

  it("checks the exact report for a move made on a node's silence, the stricter when one report is named both ways", async () => {
    // Prepare
    const { store, sent } = cancelling(["None", "None"]);
    // Act
    const write = store.writeGroup(record, 4, [REPORT, { ...REPORT, latest: true }]);
    // Assess
    await expect(write).rejects.toBeInstanceOf(AwsUnavailableError);
    const input = (sent[0] as TransactWriteItemsCommand).input;
    expect(input.TransactItems).toHaveLength(2);
    expect(input.TransactItems?.[1]?.ConditionCheck).toMatchObject({
      // Any heartbeat since the pass read this one means the node is not silent.
      ConditionExpression: "#boot = :boot AND #seq = :seq",
      ExpressionAttributeValues: { ":boot": { S: REPORT.bootId }, ":seq": { N: "3" } },
    });
  });
});
