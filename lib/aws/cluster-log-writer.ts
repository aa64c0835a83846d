import { BatchWriteItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { setTimeout as sleep } from "node:timers/promises";
import { AwsThrottledError } from "../core/aws-errors.js";
import type { ClusterLogEntry } from "../core/controller/adapters.js";
import { logItem } from "./records/log-item.js";
import { type TableAccess, tableCall } from "./table-errors.js";

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** Calls per chunk when DynamoDB leaves items unprocessed (throttling); then the append fails. */
const MAX_BATCH_ROUNDS = 5;
const BATCH_RETRY_BASE_MS = 50;

/** Appends entries to the cluster log, 25 to a BatchWriteItem, asking again for what DynamoDB left unprocessed. */
export async function appendLog(table: TableAccess, entries: readonly ClusterLogEntry[]): Promise<void> {
  const requests: WriteRequest[] = entries.map((entry, index) => ({
    PutRequest: { Item: marshall(logItem(entry, index), { removeUndefinedValues: true }) },
  }));
  for (let start = 0; start < requests.length; start += BATCH_SIZE) {
    await writeBatch(table, requests.slice(start, start + BATCH_SIZE));
  }
}

async function writeBatch({ client, tableName }: TableAccess, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_BATCH_ROUNDS) {
      throw new AwsThrottledError("BatchWriteItem", "UnprocessedItems", {
        cause: new Error(`DynamoDB left ${pending.length} log items unwritten after ${round} calls.`),
      });
    }
    if (round > 0) await sleep(BATCH_RETRY_BASE_MS * 2 ** (round - 1));
    const batch = pending;
    const out = await tableCall("BatchWriteItem", () =>
      client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } })),
    );
    pending = out.UnprocessedItems?.[tableName] ?? [];
  }
}
