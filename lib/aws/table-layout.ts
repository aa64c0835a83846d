/**
 * The one place that knows the table's keys (docs/table.md describes the same layout).
 * Every item has a string partition key `pk` and sort key `sk`.
 */
export const TABLE_KEYS = { partition: "pk", sort: "sk" } as const;

/** Attribute that DynamoDB's TTL deletes items by (history items only). */
export const TTL_ATTRIBUTE = "expiresAt";

/**
 * The partition holding the cluster's current state (nodes, groups, controller lease, guard),
 * so that a controller pass reads all of it with one paged, strongly consistent Query.
 * One table holds one cluster; at 1,000 nodes and a 2 s interval this partition takes
 * 500 writes/s, half of DynamoDB's per-partition limit.
 */
export const STATE_PARTITION = "state";

export const SORT_PREFIX = { node: "node#", group: "group#" } as const;

export const itemKeys = {
  /** A node's liveness record: written only by the heartbeat function. */
  nodeLiveness: (nodeId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.node}${nodeId}` }),
  /** A group's owner, epoch and failover plan: written only by the controller. */
  groupState: (groupId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.group}${groupId}` }),
} as const;
