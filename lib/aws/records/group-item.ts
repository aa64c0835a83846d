import type { GroupId, NodeId, ResourceId } from "../../core/definition/types.js";
import type { GroupRecord, GroupStatus, Plan } from "../../core/controller/records.js";
import { dictionary } from "../../core/dictionary.js";
import type { GroupOwnership } from "../../core/heartbeat/store.js";
import { itemKeys } from "../table-layout.js";
import { isObject, type Item, num, str } from "./item-values.js";

// A group item (docs/table.md): written only by the controller (groupItem), read by the controller's pass
// (readGroupItem) and by the heartbeat function (readGroupOwnership), with the same field readers.

/** The attributes of a group item besides its keys: every one groupItem writes. */
export const GROUP_ITEM_ATTRIBUTES = [
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
] as const;

/** The attributes the heartbeat function reads to answer a heartbeat (readGroupOwnership). */
export const OWNERSHIP_ATTRIBUTES = ["owner", "epoch", "desired", "status"] as const;

const GROUP_STATUSES: ReadonlySet<string> = new Set<GroupStatus>(["offline", "online", "moving", "failed"]);

/** The item writeGroup puts for `record` (PutItem replaces the item; undefined attributes are left out). */
export function groupItem(record: GroupRecord): Item {
  return {
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
}

/**
 * A group item as a record. The group id comes from the sort key. Missing attributes:
 * `version` 0 (writeGroup with expected version 0 may replace such an item), `owner` null,
 * `epoch` 0, `since` 0, `statusReason` "", `failovers` [], `desired` {}; a missing or unknown
 * `status` becomes "online" when there is an owner (the owner heartbeats already act on) and
 * "offline" otherwise; a `plan` without its required fields becomes null.
 */
export function readGroupItem(groupIdFromKey: GroupId, item: Item): GroupRecord {
  const owner = readOwner(item.owner);
  const status = readStatus(item.status);
  return {
    groupId: groupIdFromKey,
    version: num(item.version, 0),
    owner,
    epoch: readEpoch(item.epoch),
    status: status ?? (owner === null ? "offline" : "online"),
    statusReason: str(item.statusReason, status === null ? "the stored status was missing" : ""),
    since: num(item.since, 0),
    plan: readPlan(item.plan),
    failovers: Array.isArray(item.failovers)
      ? item.failovers.filter((t): t is number => typeof t === "number" && Number.isFinite(t))
      : [],
    failedOn: readFailedOn(item.failedOn),
    desired: readDesired(item.desired),
    ...readUnconfirmedSources(item.unconfirmedSources),
    ...(typeof item.lastIntent === "string" ? { lastIntent: item.lastIntent } : {}),
  };
}

/**
 * What the heartbeat function answers from (OWNERSHIP_ATTRIBUTES): the same readers as readGroupItem, but the status
 * as stored (null when missing or unknown), since the heartbeat path does not guess one.
 */
export function readGroupOwnership(item: Item): GroupOwnership {
  return {
    owner: readOwner(item.owner),
    epoch: readEpoch(item.epoch),
    desired: readDesired(item.desired),
    status: readStatus(item.status),
  };
}

function readOwner(value: unknown): NodeId | null {
  return typeof value === "string" ? value : null;
}

function readEpoch(value: unknown): number {
  return num(value, 0);
}

function readStatus(value: unknown): GroupStatus | null {
  return typeof value === "string" && GROUP_STATUSES.has(value) ? (value as GroupStatus) : null;
}

/** The stored desired map, keeping only well-formed entries (a bad one reads as absent: "offline"). */
function readDesired(value: unknown): Record<ResourceId, "online" | "offline"> {
  const desired = dictionary<"online" | "offline">();
  if (!isObject(value)) return desired;
  for (const [id, state] of Object.entries(value)) {
    if (state === "online" || state === "offline") desired[id] = state;
  }
  return desired;
}

/** Node ids a failed plan left unfreed; absent or unreadable: none. */
function readUnconfirmedSources(value: unknown): Pick<GroupRecord, "unconfirmedSources"> {
  if (!Array.isArray(value)) return {};
  const nodes = value.filter((id): id is NodeId => typeof id === "string");
  return nodes.length > 0 ? { unconfirmedSources: nodes } : {};
}

function readFailedOn(value: unknown): Record<NodeId, number> {
  if (!isObject(value)) return dictionary();
  return dictionary(
    Object.entries(value).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]),
    ),
  );
}

const PLAN_KINDS: ReadonlySet<unknown> = new Set(["place", "failover", "failback"]);

function readPlan(value: unknown): Plan | null {
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
  const { onlineAskedAt, ...rest } = value;
  return {
    ...(rest as unknown as Plan),
    ...(typeof onlineAskedAt === "number" && Number.isFinite(onlineAskedAt) ? { onlineAskedAt } : {}),
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
