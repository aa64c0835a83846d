import {
  type AttributeValue,
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { AwsThrottledError, AwsUnavailableError } from "../core/aws-errors.js";
import { StateConflictError } from "../core/controller/adapters.js";
import type {
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  ReportCondition,
} from "../core/controller/records.js";
import { guardItem, judgedNodesItem, readLeaseItem } from "./records/control-items.js";
import { groupItem } from "./records/group-item.js";
import type { Item } from "./records/item-values.js";
import { type TableAccess, tableError } from "./table-errors.js";
import { itemKeys } from "./table-layout.js";

// The controller's conditional writes (docs/table.md): the controller lease (taken while free, expired or its own),
// and every write of a group, of the guard or of the node judgements, conditioned on the version read.

/** The cancellation reason codes of a TransactWriteItems that mean throttling (per item). */
const THROTTLING_REASONS = new Set(["ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]);

/** TransactWriteItems takes at most 100 actions: the group's write and up to 99 node reports. */
const MAX_REPORT_CONDITIONS = 99;

/** Takes or renews the controller lease; null when another holder's lease has not expired. */
export async function acquireLease(
  { client, tableName }: TableAccess,
  holder: string,
  now: number,
  durationMs: number,
): Promise<ControllerLease | null> {
  try {
    const out = await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall(itemKeys.controllerLease),
        UpdateExpression:
          "SET #holder = :holder, #expiresAt = :expiresAt, #version = if_not_exists(#version, :zero) + :one",
        ConditionExpression: "attribute_not_exists(#sk) OR #expiresAt < :now OR #holder = :holder",
        ExpressionAttributeNames: {
          "#sk": "sk",
          "#holder": "holder",
          "#expiresAt": "expiresAt",
          "#version": "version",
        },
        ExpressionAttributeValues: marshall({
          ":holder": holder,
          ":expiresAt": now + durationMs,
          ":now": now,
          ":zero": 0,
          ":one": 1,
        }),
        ReturnValues: "ALL_NEW",
      }),
    );
    return readLeaseItem(unmarshall(out.Attributes ?? {}));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return null;
    throw tableError("UpdateItem", error);
  }
}

/** Ends `holder`'s lease now; nothing when the lease is no longer its. */
export async function releaseLease({ client, tableName }: TableAccess, holder: string, now: number): Promise<void> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall(itemKeys.controllerLease),
        UpdateExpression: "SET #expiresAt = :expired, #version = #version + :one",
        ConditionExpression: "#holder = :holder",
        ExpressionAttributeNames: { "#holder": "holder", "#expiresAt": "expiresAt", "#version": "version" },
        ExpressionAttributeValues: marshall({ ":holder": holder, ":expired": now - 1, ":one": 1 }),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return; // not ours any more: nothing to release
    throw tableError("UpdateItem", error);
  }
}

/**
 * Without `basedOn`: one conditional PutItem (the cheap, common write). With it: one TransactWriteItems,
 * the same conditional Put plus a ConditionCheck per node item (`bootId` and `seq` still those of the
 * report the decision read), so a group never moves on a report a newer heartbeat has replaced.
 */
export async function writeGroup(
  table: TableAccess,
  record: GroupRecord,
  expectedVersion: number,
  basedOn: readonly ReportCondition[] = [],
): Promise<void> {
  const what = `group ${record.groupId}`;
  assertNextVersion(what, record.version, expectedVersion);
  const item = groupItem(record);
  if (basedOn.length === 0) await putConditioned(table, item, expectedVersion, what);
  else await putOnReports(table, { item, expectedVersion, what }, basedOn);
}

export async function writeGuard(table: TableAccess, record: GuardRecord, expectedVersion: number): Promise<void> {
  assertNextVersion("the guard", record.version, expectedVersion);
  await putConditioned(table, guardItem(record), expectedVersion, "the guard");
}

/** The nodes as last judged (`controller#nodes`): the same versioned PutItem as the guard's. */
export async function writeJudgedNodes(
  table: TableAccess,
  record: JudgedNodes,
  expectedVersion: number,
): Promise<void> {
  assertNextVersion("the node judgements", record.version, expectedVersion);
  await putConditioned(table, judgedNodesItem(record), expectedVersion, "the node judgements");
}

async function putConditioned(
  { client, tableName }: TableAccess,
  item: Item,
  expectedVersion: number,
  what: string,
): Promise<void> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ...versionCondition(expectedVersion),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new StateConflictError(versionConflict(what, expectedVersion), { cause: error });
    }
    throw tableError("PutItem", error);
  }
}

/** The versioned Put and a ConditionCheck per node report, all or nothing. */
async function putOnReports(
  { client, tableName }: TableAccess,
  put: { readonly item: Item; readonly expectedVersion: number; readonly what: string },
  basedOn: readonly ReportCondition[],
): Promise<void> {
  const { item, expectedVersion, what } = put;
  const reports = distinctReports(basedOn, what);
  const actions: TransactWriteItem[] = [
    {
      Put: {
        TableName: tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ...versionCondition(expectedVersion),
      },
    },
    ...reports.map((report): TransactWriteItem => ({
      ConditionCheck: {
        TableName: tableName,
        Key: marshall(itemKeys.nodeLiveness(report.nodeId)),
        ConditionExpression: report.latest ? "#boot = :boot AND #seq = :seq" : "#boot = :boot AND #seq >= :seq",
        ExpressionAttributeNames: { "#boot": "bootId", "#seq": "seq" },
        ExpressionAttributeValues: marshall({ ":boot": report.bootId, ":seq": report.seq }),
      },
    })),
  ];
  try {
    await client.send(new TransactWriteItemsCommand({ TransactItems: actions }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw transactionError(error, what, expectedVersion, reports);
    throw tableError("TransactWriteItems", error);
  }
}

function assertNextVersion(what: string, version: number, expectedVersion: number): void {
  if (version !== expectedVersion + 1) {
    throw new Error(
      `Writing ${what} with version ${version} over expected version ${expectedVersion}: the new version must be ${expectedVersion + 1}.`,
    );
  }
}

/**
 * The condition of a versioned write. Version 0 means "never written". An item without a version (written
 * by hand, or by an earlier Baton) also reads as version 0 (readSnapshot), so the controller can take it over.
 */
function versionCondition(expectedVersion: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (expectedVersion === 0) {
    return {
      ConditionExpression: "attribute_not_exists(#sk) OR attribute_not_exists(#version)",
      ExpressionAttributeNames: { "#sk": "sk", "#version": "version" },
    };
  }
  return {
    ConditionExpression: "#version = :expected",
    ExpressionAttributeNames: { "#version": "version" },
    ExpressionAttributeValues: marshall({ ":expected": expectedVersion }),
  };
}

function versionConflict(what: string, expectedVersion: number): string {
  return `Another writer changed ${what} first: its stored version is no longer ${expectedVersion}.`;
}

/**
 * One condition per node (a transaction may not name one item twice). Two different reports of one node
 * cannot both be its latest: such a write could never commit, and is refused as a conflict.
 */
function distinctReports(basedOn: readonly ReportCondition[], what: string): ReportCondition[] {
  const byNode = new Map<string, ReportCondition>();
  for (const report of basedOn) {
    const seen = byNode.get(report.nodeId);
    if (seen === undefined) byNode.set(report.nodeId, report);
    else if (seen.bootId === report.bootId && seen.seq === report.seq) {
      // The same report named twice: checked once, as the stricter of the two asks.
      if (report.latest && !seen.latest) byNode.set(report.nodeId, report);
    } else {
      throw new StateConflictError(
        `The write of ${what} relies on two different reports of node ${report.nodeId} (seq ${seen.seq} and ${report.seq}): at most one is its latest.`,
      );
    }
  }
  if (byNode.size > MAX_REPORT_CONDITIONS) {
    throw new Error(
      `The write of ${what} relies on the reports of ${byNode.size} nodes; one transaction can check at most ${MAX_REPORT_CONDITIONS}.`,
    );
  }
  return [...byNode.values()];
}

/**
 * A cancelled transaction, by its reasons (index 0 is the group's Put, then one per report): a failed
 * condition is a conflict, naming what changed; throttling is throttling; anything else is "unavailable".
 */
function transactionError(
  error: TransactionCanceledException,
  what: string,
  expectedVersion: number,
  reports: readonly ReportCondition[],
): Error {
  const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? "None");
  const changed: string[] = [];
  if (codes[0] === "ConditionalCheckFailed") changed.push(versionConflict(what, expectedVersion));
  reports.forEach((report, i) => {
    if (codes[i + 1] === "ConditionalCheckFailed") {
      changed.push(
        `Node ${report.nodeId} has reported again since the report this write relies on (boot ${report.bootId}, seq ${report.seq}): a new boot, or no record.`,
      );
    }
  });
  if (changed.length > 0) return new StateConflictError(changed.join(" "), { cause: error });
  if (codes.includes("TransactionConflict")) {
    // Another write to one of the items (a heartbeat, most likely) was under way: read again, decide again.
    return new StateConflictError(`A concurrent write to ${what} or to a node it relies on cancelled the write.`, {
      cause: error,
    });
  }
  const throttled = codes.find((code) => THROTTLING_REASONS.has(code));
  if (throttled !== undefined) {
    return new AwsThrottledError("DynamoDB TransactWriteItems", throttled, { cause: error });
  }
  return new AwsUnavailableError("DynamoDB TransactWriteItems", `cancelled: ${codes.join(", ")}`, { cause: error });
}
