import { TransactionConflictException, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoHeartbeatStore } from "../../../lib/aws/heartbeat-store.js";
import { StoreUnavailableError } from "../../../lib/core/heartbeat/errors.js";

// A controller write that relies on a node's report checks the node item inside a transaction; DynamoDB refuses
// a plain write to that item meanwhile (TransactionConflictException), which the SDK does not retry. moto never
// does this; here the client answers as DynamoDB does.

const HEARTBEAT = { nodeId: "db-a", bootId: "9b2f6c1e-0000-4000-8000-000000000001", seq: 3, resources: {} };

function conflicting(times: number) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      await Promise.resolve();
      sent.push(command);
      if (sent.length <= times) {
        throw new TransactionConflictException({
          message: "Transaction is ongoing for the item",
          $metadata: { httpStatusCode: 400 },
        });
      }
      return {};
    },
  };
  return { store: new DynamoHeartbeatStore(client as never, "baton"), sent };
}

describe("DynamoHeartbeatStore against a controller transaction on the node item", () => {
  it("writes the heartbeat once the transaction is over, instead of failing it", async () => {
    // Prepare
    const { store, sent } = conflicting(1);
    // Act
    await store.recordHeartbeat(HEARTBEAT, 1_000, 10_000);
    // Assess
    expect(sent).toHaveLength(2);
    expect(sent.every((c) => c instanceof UpdateItemCommand)).toBe(true);
  });

  it("gives up as unavailable (503: not the node's fault) when the item stays held", async () => {
    // Prepare
    const { store, sent } = conflicting(100);
    // Act
    const write = store.recordHeartbeat(HEARTBEAT, 1_000, 10_000);
    // Assess
    await expect(write).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(sent).toHaveLength(3);
  });
});
