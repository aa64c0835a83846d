/**
 * The cluster log read back (`baton history`): one Query per UTC day partition (`log#YYYY-MM-DD`, docs/table.md)
 * from the first day of the window to the last, each from the window's start.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { LOG_PARTITION_PREFIX, LOG_RETENTION_DAYS } from "../aws/table-layout.js";

const DAY_MS = 86_400_000;
/** How far this machine's clock may lag AWS's before the last entries of a window could be missed. */
const CLOCK_MARGIN_MS = 10 * 60_000;

export interface LogEntry {
  /** Epoch ms, controller clock. */
  readonly at: number;
  readonly group: string | null;
  readonly epoch: number | null;
  readonly event: string;
  readonly step: string | null;
  readonly outcome: string | null;
  readonly durationMs: number | null;
  readonly detail: string | null;
  /** Any other attribute of the entry (a later Baton's, such as the node or the operator's identity), as stored. */
  readonly more: Readonly<Record<string, unknown>>;
}

/** The UTC days (YYYY-MM-DD) from `since` to `until`, oldest first; at most the log's retention plus one. */
export function logDays(since: number, until: number): string[] {
  const days: string[] = [];
  const first = Math.max(Math.floor(since / DAY_MS), Math.floor(until / DAY_MS) - LOG_RETENTION_DAYS);
  for (let day = first; day <= Math.floor(until / DAY_MS); day++) {
    days.push(new Date(day * DAY_MS).toISOString().slice(0, 10));
  }
  return days;
}

const KNOWN = new Set([
  "pk",
  "sk",
  "at",
  "groupId",
  "epoch",
  "event",
  "step",
  "outcome",
  "durationMs",
  "detail",
  "expiresAt",
]);

export async function readLog(
  client: DynamoDBClient,
  tableName: string,
  since: number,
  until: number,
): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  // The next day's partition too when this machine's clock is within CLOCK_MARGIN_MS of midnight (or behind AWS's).
  for (const day of logDays(since, until + CLOCK_MARGIN_MS)) {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          // No upper bound: an entry stamped after this machine's `until` (its clock behind AWS's) is shown too.
          KeyConditionExpression: "#pk = :day AND #sk >= :from",
          ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
          ExpressionAttributeValues: {
            ":day": { S: `${LOG_PARTITION_PREFIX}${day}` },
            ":from": { S: new Date(since).toISOString() },
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) entries.push(toEntry(unmarshall(raw)));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return entries;
}

function toEntry(item: Record<string, unknown>): LogEntry {
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  const number = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const sk = typeof item.sk === "string" ? item.sk : "";
  return {
    at: number(item.at) ?? Date.parse(sk.slice(0, sk.indexOf("#"))),
    group: text(item.groupId),
    epoch: number(item.epoch),
    event: text(item.event) ?? "?",
    step: text(item.step),
    outcome: text(item.outcome),
    durationMs: number(item.durationMs),
    detail: text(item.detail),
    more: Object.fromEntries(Object.entries(item).filter(([key]) => !KNOWN.has(key))),
  };
}

/**
 * Whether an entry concerns `subject` (a group or a node): its group, any attribute naming it, or its outcome or
 * detail naming it as a word (`drained db-a`, `failover db-a -> db-b`).
 */
export function concerns(entry: LogEntry, subject: string): boolean {
  if (entry.group === subject) return true;
  if (Object.values(entry.more).some((value) => value === subject)) return true;
  const word = new RegExp(`(^|[^\\w-])${subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w-])`);
  return [entry.outcome, entry.detail].some((text) => text !== null && word.test(text));
}
