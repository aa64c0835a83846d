/**
 * The intent and admin items' codec (docs/table.md "Operator intents"): the attributes the controller's snapshot
 * projects, how they are read, the items the CLI's writes put (intent-store.ts, which builds on the controller's
 * store), and the controller's one write, the settling of a group intent.
 */
import { ConditionalCheckFailedException, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { AwsThrottledError, AwsUnavailableError } from "../core/aws-errors.js";
import type { GroupIntent, IntentState, NodeAdmin } from "../core/controller/intents.js";
import type { GroupId, NodeId } from "../core/definition/types.js";
import { itemKeys } from "./table-layout.js";

/** A settled intent is deleted by the table's TTL (`expiresAt`, epoch seconds) this long after it was written. */
export const INTENT_RETENTION_SECONDS = 7 * 86_400;

/** The attributes of intent and admin items the controller's snapshot Query projects (besides `sk`, `epoch`). */
export const INTENT_ATTRIBUTES = [
  "intentId",
  "action",
  "target",
  "drill",
  "by",
  "at",
  "intentState",
  "reason",
  "drained",
  "failback",
] as const;

/**
 * The controller settles a pending intent: `intentState` becomes `taken` (with the epoch of the plan it started) or
 * `refused` (with why), conditioned on the item still holding that intent, pending. A condition failure means it
 * was settled already or replaced: nothing to do (the call is idempotent).
 */
export async function settleGroupIntent(
  client: DynamoDBClient,
  tableName: string,
  groupId: GroupId,
  intentId: string,
  outcome: { readonly state: Exclude<IntentState, "pending">; readonly reason: string; readonly epoch?: number },
): Promise<void> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall(itemKeys.groupIntent(groupId)),
        UpdateExpression:
          outcome.epoch === undefined
            ? "SET #state = :state, #reason = :reason"
            : "SET #state = :state, #reason = :reason, #epoch = :epoch",
        ConditionExpression: "#id = :id AND #state = :pending",
        ExpressionAttributeNames: {
          "#state": "intentState",
          "#reason": "reason",
          "#id": "intentId",
          ...(outcome.epoch === undefined ? {} : { "#epoch": "epoch" }),
        },
        ExpressionAttributeValues: marshall({
          ":state": outcome.state,
          ":reason": outcome.reason,
          ":id": intentId,
          ":pending": "pending",
          ...(outcome.epoch === undefined ? {} : { ":epoch": outcome.epoch }),
        }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw intentAwsError("UpdateItem", error);
  }
}

/** The item a new (pending) group intent is written as; undefined attributes are left out. */
export function groupIntentItem(intent: GroupIntent): Record<string, unknown> {
  return {
    ...itemKeys.groupIntent(intent.groupId),
    intentId: intent.id,
    action: intent.action,
    target: intent.target ?? undefined,
    drill: intent.drill,
    by: intent.by,
    at: intent.at,
    intentState: "pending",
    expiresAt: Math.floor(intent.at / 1000) + INTENT_RETENTION_SECONDS,
  };
}

/** The item a node's admin state (drained, failback) is written as. */
export function nodeAdminItem(admin: NodeAdmin): Record<string, unknown> {
  return {
    ...itemKeys.nodeAdmin(admin.nodeId),
    drained: admin.drained,
    failback: admin.failback,
    by: admin.by,
    at: admin.at,
  };
}

/** An intent item as read (plain values); null when it is not one (no id, an unknown action). */
export function toGroupIntent(groupId: GroupId, item: Record<string, unknown>): GroupIntent | null {
  if (typeof item.intentId !== "string" || (item.action !== "move" && item.action !== "reset")) return null;
  const state = item.intentState === "taken" || item.intentState === "refused" ? item.intentState : "pending";
  return {
    groupId,
    id: item.intentId,
    action: item.action,
    target: typeof item.target === "string" ? item.target : null,
    drill: item.drill === true,
    by: typeof item.by === "string" ? item.by : "unknown",
    at: typeof item.at === "number" ? item.at : 0,
    state,
    ...(typeof item.reason === "string" ? { reason: item.reason } : {}),
    ...(typeof item.epoch === "number" ? { epoch: item.epoch } : {}),
  };
}

/** An admin item as read: a mistyped `drained` reads as drained (the cautious side: nothing new goes there). */
export function toNodeAdmin(nodeId: NodeId, item: Record<string, unknown>): NodeAdmin {
  return {
    nodeId,
    drained: item.drained !== false,
    failback: item.failback === true,
    by: typeof item.by === "string" ? item.by : "unknown",
    at: typeof item.at === "number" ? item.at : 0,
  };
}

/** Maps an SDK error to the error kinds the rest of Baton uses (by name, never by message). */
export function intentAwsError(operation: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : "UnknownError";
  if (name === "ProvisionedThroughputExceededException" || name === "ThrottlingException") {
    return new AwsThrottledError(`DynamoDB ${operation}`, name, { cause: error });
  }
  const detail = error instanceof Error ? `${name}: ${error.message}` : String(error);
  return new AwsUnavailableError(`DynamoDB ${operation}`, detail, { cause: error });
}
