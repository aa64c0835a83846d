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

export const SORT_PREFIX = {
  node: "node#",
  group: "group#",
  /** Operator intents for a group (`baton move`, `reset`, `drill`): written by the CLI, settled by the controller. */
  intent: "intent#group#",
  /** An operator's standing word about a node (`baton drain`, `resume`): written by the CLI only. */
  admin: "admin#node#",
} as const;

/**
 * Every attribute of a node liveness item besides its keys (docs/table.md). The heartbeat function's role may
 * name no other attribute in a write (dynamodb:Attributes), so a new one must be added here, or its heartbeats are
 * refused with AccessDeniedException (test/infra/heartbeat-policy.test.ts replays the store's requests).
 */
export const NODE_ATTRIBUTES = [
  "nodeId",
  "bootId",
  "seq",
  "receivedAt",
  "bootStartedAt",
  "resources",
  "retiredBoots",
  "retiredAt",
  "leaving",
  "epochs",
  "leaseMs",
  "leaseUntil",
  "agentVersion",
] as const;

/**
 * The attributes of the controller wake-up item (`controller#wake`), written by the heartbeat function with its own
 * narrowly scoped permission (lib/infra/heartbeat-function.ts): when the last wake-up was claimed, and why.
 */
export const WAKE_ATTRIBUTES = ["wokenAt", "wakeReason"] as const;

/** Prefix of the cluster log's partitions: one per UTC day (`log#2026-11-22`). */
export const LOG_PARTITION_PREFIX = "log#";

/** How long log items live before DynamoDB's TTL deletes them. */
export const LOG_RETENTION_DAYS = 30;

export const itemKeys = {
  /** A node's liveness record: written only by the heartbeat function. */
  nodeLiveness: (nodeId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.node}${nodeId}` }),
  /** A group's owner, epoch and failover plan: written only by the controller. */
  groupState: (groupId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.group}${groupId}` }),
  /** The operator intent for a group (at most one): written by the CLI, settled by the controller. */
  groupIntent: (groupId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.intent}${groupId}` }),
  /** An operator's drain or failback hold of a node: written by the CLI only, read by the controller. */
  nodeAdmin: (nodeId: string) => ({ pk: STATE_PARTITION, sk: `${SORT_PREFIX.admin}${nodeId}` }),
  /** The controller lease: which invocation may act, until when. Written only by the controller. */
  controllerLease: { pk: STATE_PARTITION, sk: "controller#lease" },
  /** The last controller wake-up (deduplication): written only by the heartbeat function, read by nobody else. */
  controllerWake: { pk: STATE_PARTITION, sk: "controller#wake" },
  /** Each node's state as the controller last judged it (node changes for the log and EventBridge). Controller only. */
  judgedNodes: { pk: STATE_PARTITION, sk: "controller#nodes" },
  /** The mass-failure guard. Written only by the controller. */
  guard: { pk: STATE_PARTITION, sk: "controller#guard" },
  /**
   * One cluster log entry: partitioned by the UTC day of `at` (epoch ms), sorted by time, then
   * group (`-` for cluster-wide entries), then `unique`, which keeps two entries of one millisecond apart.
   */
  logEntry: (at: number, groupId: string | null, unique: string) => {
    const iso = new Date(at).toISOString();
    return { pk: `${LOG_PARTITION_PREFIX}${iso.slice(0, 10)}`, sk: `${iso}#${groupId ?? "-"}#${unique}` };
  },
} as const;
