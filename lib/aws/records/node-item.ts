import { type AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { NodeReport } from "../../core/controller/records.js";
import { dictionary } from "../../core/dictionary.js";
import { RESOURCE_STATES, type ResourceState } from "../../core/heartbeat/message.js";
import type { SequencePosition } from "../../core/heartbeat/sequence.js";
import { NODE_ATTRIBUTES } from "../table-layout.js";
import { numberOf, positiveOrUndefined } from "./item-values.js";

// A node's liveness item (docs/table.md): written only by the heartbeat function (DynamoHeartbeatStore's conditional
// UpdateItem; its attributes are NODE_ATTRIBUTES in table-layout.ts), read by the controller's pass (readNodeReport)
// and by the heartbeat function when its condition fails (readNodePosition).

/**
 * The attributes of a node item a pass reads (of NODE_ATTRIBUTES, the node item's whole list): the heartbeat
 * function's ordering bookkeeping (the node id, already in the key, and the retired boots) stays in the table.
 */
const HEARTBEAT_BOOKKEEPING: ReadonlySet<string> = new Set(["nodeId", "retiredBoots", "retiredAt"]);
export const NODE_REPORT_ATTRIBUTES = NODE_ATTRIBUTES.filter((name) => !HEARTBEAT_BOOKKEEPING.has(name));

const KNOWN_RESOURCE_STATES: ReadonlySet<string> = new Set(RESOURCE_STATES);

/**
 * A node item as the controller's report, read straight from DynamoDB's JSON without an intermediate object (half
 * the items of every pass). Unknown resource states and unreadable epochs are left out.
 */
export function readNodeReport(nodeIdFromKey: string, raw: Record<string, AttributeValue>): NodeReport {
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

/** The node item a failed condition returned: its ordering position and the end of the longest lease granted. */
export type NodePosition = SequencePosition & { readonly leaseUntil: number | undefined };

/** The item a failed heartbeat write's condition returned (ALL_OLD); undefined when there was none. */
export function readNodePosition(item: Record<string, AttributeValue> | undefined): NodePosition | undefined {
  if (item === undefined) return undefined;
  const record = unmarshall(item);
  return {
    bootId: String(record.bootId),
    seq: Number(record.seq),
    retiredBoots: Array.isArray(record.retiredBoots) ? record.retiredBoots.map(String) : [],
    retiredAt: Array.isArray(record.retiredAt) ? record.retiredAt.map(Number) : [],
    leaseUntil: typeof record.leaseUntil === "number" ? record.leaseUntil : undefined,
  };
}
