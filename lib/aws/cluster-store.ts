import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import type { GroupId, NodeId, ResourceId } from "../core/definition/types.js";
import { dictionary } from "../core/dictionary.js";
import { AwsThrottledError, AwsUnavailableError } from "../core/controller/aws-errors.js";
import { type ClusterLogEntry, type ClusterStateStore, StateConflictError } from "../core/controller/ports.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GroupStatus,
  GuardRecord,
  NodeReport,
  Plan,
  ReportCondition,
} from "../core/controller/records.js";
import type { GroupIntent, NodeAdmin } from "../core/controller/intents.js";
import { RESOURCE_STATES, type ResourceState } from "../core/heartbeat/message.js";
import { fromItem } from "./attribute-json.js";
import { INTENT_ATTRIBUTES, settleGroupIntent, toGroupIntent, toNodeAdmin } from "./intent-items.js";
import { queryRawPage } from "./raw-query.js";
import { itemKeys, LOG_RETENTION_DAYS, SORT_PREFIX, STATE_PARTITION } from "./table-layout.js";

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** Calls per chunk when DynamoDB leaves items unprocessed (throttling); then the append fails. */
const MAX_BATCH_ROUNDS = 5;
const BATCH_RETRY_BASE_MS = 50;
const DAY_SECONDS = 86_400;

/** Error names DynamoDB (and the SDK) give to throttling; anything else that is not a condition is "unavailable". */
const THROTTLING_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);

/** The cancellation reason codes of a TransactWriteItems that mean throttling (per item). */
const THROTTLING_REASONS = new Set(["ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]);

/** TransactWriteItems takes at most 100 actions: the group's write and up to 99 node reports. */
const MAX_REPORT_CONDITIONS = 99;

/**
 * The attributes a pass reads. Node items' ordering bookkeeping (boot id, sequence, up to 16 retired
 * boots) is the heartbeat function's and stays in the table: leaving it out more than halves what a
 * pass reads. Every attribute that writeGroup, writeGuard and acquireLease write must be listed here,
 * or a pass would read it as missing (the store's integration test writes and reads back each one).
 */
const SNAPSHOT_ATTRIBUTES = [
  "sk",
  // node items (written by the heartbeat function)
  "bootId",
  "seq",
  "receivedAt",
  "bootStartedAt",
  "resources",
  "leaving",
  "epochs",
  "leaseMs",
  "leaseUntil",
  "agentVersion",
  // group items
  "version",
  "owner",
  "epoch",
  "status",
  "statusReason",
  "since",
  "plan",
  "failovers",
  "failedOn",
  "desired",
  "unconfirmedSources",
  "lastIntent",
  // operator intents and node admin items (intent-items.ts); `epoch` and `expiresAt` are listed already
  ...INTENT_ATTRIBUTES,
  // the guard (version, since) and the controller lease (version)
  "frozen",
  "voters",
  "holder",
  "expiresAt",
] as const;

const SNAPSHOT_QUERY = {
  KeyConditionExpression: "#pk = :state",
  ProjectionExpression: SNAPSHOT_ATTRIBUTES.map((_, i) => `#a${i}`).join(", "),
  ExpressionAttributeNames: {
    "#pk": "pk",
    ...Object.fromEntries(SNAPSHOT_ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
  },
  ExpressionAttributeValues: marshall({ ":state": STATE_PARTITION }),
  ConsistentRead: true,
};

const GROUP_STATUSES: ReadonlySet<string> = new Set<GroupStatus>(["offline", "online", "moving", "failed"]);
const KNOWN_RESOURCE_STATES: ReadonlySet<string> = new Set(RESOURCE_STATES);

/**
 * The controller's side of the table (docs/table.md): one paged Query reads the whole state
 * partition; every write of a group or of the guard is conditioned on the version read.
 */
export class DynamoClusterStateStore implements ClusterStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async readSnapshot(): Promise<ClusterSnapshot> {
    const liveness = new Map<NodeId, NodeReport>();
    const groups = new Map<GroupId, GroupRecord>();
    let guard: GuardRecord | null = null;
    let lease: ControllerLease | null = null;
    const intents = new Map<GroupId, GroupIntent>();
    const admin = new Map<NodeId, NodeAdmin>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call("Query", () =>
        queryRawPage(this.client, { ...SNAPSHOT_QUERY, TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      for (const raw of page.items) {
        const sk = raw.sk?.S ?? "";
        if (sk.startsWith(SORT_PREFIX.node)) {
          // Half the items, every pass: read straight from DynamoDB's JSON, without an intermediate object.
          const node = toNodeReport(sk.slice(SORT_PREFIX.node.length), raw);
          liveness.set(node.nodeId, node);
          continue;
        }
        const item = fromItem(raw);
        if (sk.startsWith(SORT_PREFIX.group)) {
          const group = toGroupRecord(sk.slice(SORT_PREFIX.group.length), item);
          groups.set(group.groupId, group);
        } else if (sk === itemKeys.guard.sk) {
          guard = toGuardRecord(item);
        } else if (sk === itemKeys.controllerLease.sk) {
          lease = toLease(item);
        } else if (sk.startsWith(SORT_PREFIX.intent)) {
          const intent = toGroupIntent(sk.slice(SORT_PREFIX.intent.length), item);
          if (intent) intents.set(intent.groupId, intent);
        } else if (sk.startsWith(SORT_PREFIX.admin)) {
          const nodeId = sk.slice(SORT_PREFIX.admin.length);
          admin.set(nodeId, toNodeAdmin(nodeId, item));
        }
        // Any other sort key belongs to a later version of Baton: ignored.
      }
      startKey = page.lastEvaluatedKey;
    } while (startKey !== undefined);
    return { liveness, groups, guard, lease, intents, admin };
  }

  async acquireLease(holder: string, now: number, durationMs: number): Promise<ControllerLease | null> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
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
      return toLease(unmarshall(out.Attributes ?? {}));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw awsError("UpdateItem", error);
    }
  }

  async releaseLease(holder: string, now: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(itemKeys.controllerLease),
          UpdateExpression: "SET #expiresAt = :expired, #version = #version + :one",
          ConditionExpression: "#holder = :holder",
          ExpressionAttributeNames: { "#holder": "holder", "#expiresAt": "expiresAt", "#version": "version" },
          ExpressionAttributeValues: marshall({ ":holder": holder, ":expired": now - 1, ":one": 1 }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // not ours any more: nothing to release
      throw awsError("UpdateItem", error);
    }
  }

  /**
   * Without `basedOn`: one conditional PutItem (the cheap, common write). With it: one TransactWriteItems,
   * the same conditional Put plus a ConditionCheck per node item (`bootId` and `seq` still those of the
   * report the decision read), so a group never moves on a report a newer heartbeat has replaced.
   */
  async writeGroup(
    record: GroupRecord,
    expectedVersion: number,
    basedOn: readonly ReportCondition[] = [],
  ): Promise<void> {
    assertNextVersion(`group ${record.groupId}`, record.version, expectedVersion);
    const item: Record<string, unknown> = {
      ...itemKeys.groupState(record.groupId),
      groupId: record.groupId,
      version: record.version,
      // PutItem replaces the item: a null owner or plan is written as an absent attribute.
      owner: record.owner ?? undefined,
      epoch: record.epoch,
      status: record.status,
      statusReason: record.statusReason,
      since: record.since,
      plan: record.plan ?? undefined,
      // Empty lists and maps are left out (read back as empty): a pass reads every group item every tick.
      failovers: record.failovers.length > 0 ? [...record.failovers] : undefined,
      failedOn: Object.keys(record.failedOn).length > 0 ? record.failedOn : undefined,
      desired: record.desired,
      unconfirmedSources: record.unconfirmedSources?.length ? [...record.unconfirmedSources] : undefined,
      lastIntent: record.lastIntent,
    };
    if (basedOn.length === 0) {
      await this.putConditioned(item, expectedVersion, `group ${record.groupId}`);
    } else {
      await this.putOnReports(item, expectedVersion, `group ${record.groupId}`, basedOn);
    }
  }

  async settleIntent(
    groupId: GroupId,
    intentId: string,
    outcome: { readonly state: "taken" | "refused"; readonly reason: string; readonly epoch?: number },
  ): Promise<void> {
    await settleGroupIntent(this.client, this.tableName, groupId, intentId, outcome);
  }

  async writeGuard(record: GuardRecord, expectedVersion: number): Promise<void> {
    assertNextVersion("the guard", record.version, expectedVersion);
    const item: Record<string, unknown> = {
      ...itemKeys.guard,
      version: record.version,
      frozen: record.frozen,
      since: record.since,
      // One string rather than a map of maps: a pass reads this item every tick, and 1,000 voters as
      // nested DynamoDB maps are 4,000 objects to parse; as JSON text, one.
      voters: JSON.stringify(
        Object.fromEntries(Object.entries(record.voters).map(([nodeId, vote]) => [nodeId, vote.removedAt])),
      ),
    };
    await this.putConditioned(item, expectedVersion, "the guard");
  }

  async appendLog(entries: readonly ClusterLogEntry[]): Promise<void> {
    const requests: WriteRequest[] = entries.map((entry, index) => ({
      PutRequest: { Item: marshall(toLogItem(entry, index), { removeUndefinedValues: true }) },
    }));
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      await this.writeBatch(requests.slice(start, start + BATCH_SIZE));
    }
  }

  private async writeBatch(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) {
        throw new AwsThrottledError("BatchWriteItem", "UnprocessedItems", {
          cause: new Error(`DynamoDB left ${pending.length} log items unwritten after ${round} calls.`),
        });
      }
      if (round > 0) await sleep(BATCH_RETRY_BASE_MS * 2 ** (round - 1));
      const batch = pending;
      const out = await this.call("BatchWriteItem", () =>
        this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: batch } })),
      );
      pending = out.UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  private async putConditioned(item: Record<string, unknown>, expectedVersion: number, what: string): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true }),
          ...versionCondition(expectedVersion),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StateConflictError(versionConflict(what, expectedVersion), { cause: error });
      }
      throw awsError("PutItem", error);
    }
  }

  /** The versioned Put and a ConditionCheck per node report, all or nothing. */
  private async putOnReports(
    item: Record<string, unknown>,
    expectedVersion: number,
    what: string,
    basedOn: readonly ReportCondition[],
  ): Promise<void> {
    const reports = distinctReports(basedOn, what);
    const actions: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: marshall(item, { removeUndefinedValues: true }),
          ...versionCondition(expectedVersion),
        },
      },
      ...reports.map((report): TransactWriteItem => ({
        ConditionCheck: {
          TableName: this.tableName,
          Key: marshall(itemKeys.nodeLiveness(report.nodeId)),
          ConditionExpression: report.latest ? "#boot = :boot AND #seq = :seq" : "#boot = :boot AND #seq >= :seq",
          ExpressionAttributeNames: { "#boot": "bootId", "#seq": "seq" },
          ExpressionAttributeValues: marshall({ ":boot": report.bootId, ":seq": report.seq }),
        },
      })),
    ];
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: actions }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) throw transactionError(error, what, expectedVersion, reports);
      throw awsError("TransactWriteItems", error);
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw awsError(operation, error);
    }
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

/** Maps an SDK error to the controller's error kinds, by error name (never by message). */
function awsError(operation: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : "UnknownError";
  if (THROTTLING_ERRORS.has(name)) return new AwsThrottledError(`DynamoDB ${operation}`, name, { cause: error });
  const detail = error instanceof Error ? `${name}: ${error.message}` : String(error);
  return new AwsUnavailableError(`DynamoDB ${operation}`, detail, { cause: error });
}

function toLogItem(entry: ClusterLogEntry, index: number): Record<string, unknown> {
  // The index keeps the entries of one call in order within a millisecond; the random part keeps
  // entries of two controller passes apart.
  const unique = `${String(index).padStart(4, "0")}-${randomUUID().slice(0, 8)}`;
  return {
    ...itemKeys.logEntry(entry.at, entry.groupId, unique),
    at: entry.at,
    groupId: entry.groupId ?? undefined,
    epoch: entry.epoch ?? undefined,
    event: entry.event,
    step: entry.step,
    outcome: entry.outcome,
    durationMs: entry.durationMs,
    detail: entry.detail,
    expiresAt: Math.floor(entry.at / 1000) + LOG_RETENTION_DAYS * DAY_SECONDS,
  };
}

// Readers. The table is read defensively: an item with missing or mistyped attributes becomes
// the most cautious record its present attributes allow, never an exception that stops every pass.

type Item = Record<string, unknown>;

function num(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function isObject(value: unknown): value is Item {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toNodeReport(nodeIdFromKey: string, raw: Record<string, AttributeValue>): NodeReport {
  const resources = dictionary<ResourceState>();
  const reported = raw.resources?.M;
  if (reported) {
    for (const [id, value] of Object.entries(reported)) {
      const state = value.S;
      if (state !== undefined && KNOWN_RESOURCE_STATES.has(state)) resources[id] = state as ResourceState;
    }
  }
  const epochs = dictionary<number>();
  const obeyed = raw.epochs?.M;
  if (obeyed) {
    for (const [id, value] of Object.entries(obeyed)) {
      const epoch = numberOf(value, NaN);
      if (Number.isFinite(epoch)) epochs[id] = epoch;
    }
  }
  const receivedAt = numberOf(raw.receivedAt, 0);
  return {
    nodeId: nodeIdFromKey,
    bootId: raw.bootId?.S ?? "",
    seq: numberOf(raw.seq, -1),
    receivedAt,
    bootStartedAt: numberOf(raw.bootStartedAt, receivedAt),
    resources,
    leaving: raw.leaving?.BOOL === true,
    epochs,
    leaseMs: positiveOrUndefined(numberOf(raw.leaseMs, NaN)),
    leaseUntil: positiveOrUndefined(numberOf(raw.leaseUntil, NaN)),
    ...(raw.agentVersion?.S !== undefined ? { agentVersion: raw.agentVersion.S } : {}),
  };
}

/** A recorded lease or lease end that is not a positive number reads as not recorded (the definition's lease). */
function positiveOrUndefined(value: number): number | undefined {
  return value > 0 ? value : undefined;
}

function numberOf(value: AttributeValue | undefined, fallback: number): number {
  const parsed = value?.N === undefined ? NaN : Number(value.N);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/**
 * A group item as a record. The group id comes from the sort key. Missing attributes:
 * `version` 0 (writeGroup with expected version 0 may replace such an item), `owner` null,
 * `epoch` 0, `since` 0, `statusReason` "", `failovers` [], `desired` {}; a missing or unknown
 * `status` becomes "online" when there is an owner (the owner heartbeats already act on) and
 * "offline" otherwise; a `plan` without its required fields becomes null.
 */
function toGroupRecord(groupIdFromKey: GroupId, item: Item): GroupRecord {
  const owner = typeof item.owner === "string" ? item.owner : null;
  const status = typeof item.status === "string" && GROUP_STATUSES.has(item.status) ? item.status : undefined;
  return {
    groupId: groupIdFromKey,
    version: num(item.version, 0),
    owner,
    epoch: num(item.epoch, 0),
    status: (status as GroupStatus | undefined) ?? (owner === null ? "offline" : "online"),
    statusReason: str(item.statusReason, status === undefined ? "the stored status was missing" : ""),
    since: num(item.since, 0),
    plan: toPlan(item.plan),
    failovers: Array.isArray(item.failovers)
      ? item.failovers.filter((t): t is number => typeof t === "number" && Number.isFinite(t))
      : [],
    failedOn: toFailedOn(item.failedOn),
    desired: toDesired(item.desired),
    ...toUnconfirmedSources(item.unconfirmedSources),
    ...(typeof item.lastIntent === "string" ? { lastIntent: item.lastIntent } : {}),
  };
}

/** Node ids a failed plan left unfreed; absent or unreadable: none. */
function toUnconfirmedSources(value: unknown): Pick<GroupRecord, "unconfirmedSources"> {
  if (!Array.isArray(value)) return {};
  const nodes = value.filter((id): id is NodeId => typeof id === "string");
  return nodes.length > 0 ? { unconfirmedSources: nodes } : {};
}

function toFailedOn(value: unknown): Record<NodeId, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return dictionary();
  return dictionary(
    Object.entries(value).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]),
    ),
  );
}

function toDesired(value: unknown): Record<ResourceId, "online" | "offline"> {
  const desired = dictionary<"online" | "offline">();
  if (!isObject(value)) return desired;
  for (const [id, state] of Object.entries(value)) {
    if (state === "online" || state === "offline") desired[id] = state;
  }
  return desired;
}

const PLAN_KINDS: ReadonlySet<unknown> = new Set(["place", "failover", "failback"]);

function toPlan(value: unknown): Plan | null {
  if (!isObject(value)) return null;
  const complete =
    PLAN_KINDS.has(value.kind) &&
    typeof value.target === "string" &&
    typeof value.epoch === "number" &&
    Array.isArray(value.steps) &&
    value.steps.every((step) => isObject(step) && typeof step.kind === "string") &&
    typeof value.stepIndex === "number";
  if (!complete) return null;
  // The step shapes are the controller's own writes; only the fields a pass cannot do without are checked.
  return {
    ...(value as unknown as Plan),
    reason: str(value.reason, ""),
    source: typeof value.source === "string" ? value.source : null,
    sourceAlive: value.sourceAlive === true,
    stepStartedAt: num(value.stepStartedAt, 0),
    attempts: num(value.attempts, 0),
    sourceUnconfirmed: value.sourceUnconfirmed === true,
    fenced: value.fenced === true,
    startedAt: num(value.startedAt, 0),
  };
}

function toGuardRecord(item: Item): GuardRecord {
  const voters = dictionary<{ removedAt: number | null }>();
  for (const [nodeId, removedAt] of Object.entries(parseVoters(item.voters))) {
    voters[nodeId] = { removedAt: typeof removedAt === "number" && Number.isFinite(removedAt) ? removedAt : null };
  }
  return {
    version: num(item.version, 0),
    frozen: item.frozen === true,
    since: num(item.since, 0),
    voters,
  };
}

/** The guard's voters: JSON text of node id → removal time or null. Unreadable: no voters (the guard starts over). */
function parseVoters(value: unknown): Record<string, unknown> {
  if (typeof value !== "string") return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function toLease(item: Item): ControllerLease {
  return { holder: str(item.holder, ""), expiresAt: num(item.expiresAt, 0), version: num(item.version, 0) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
