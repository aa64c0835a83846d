/**
 * The one place that knows the table's keys (docs/table.md describes the same layout).
 * Every item has a string partition key `pk` and sort key `sk`.
 */
export const TABLE_KEYS = { partition: "pk", sort: "sk" } as const;

/** Attribute that DynamoDB's TTL deletes items by (history items only). */
export const TTL_ATTRIBUTE = "expiresAt";

export const itemKeys = {
  /** A node's liveness record: written only by the heartbeat function. */
  nodeLiveness: (nodeId: string) => ({ pk: `node#${nodeId}`, sk: "liveness" }),
  /** A group's owner, epoch and failover plan: written only by the controller. */
  groupState: (groupId: string) => ({ pk: `group#${groupId}`, sk: "state" }),
} as const;
