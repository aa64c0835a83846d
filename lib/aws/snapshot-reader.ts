import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { GroupId, NodeId } from "../core/definition/types.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  NodeReport,
} from "../core/controller/records.js";
import type { GroupIntent, NodeAdmin } from "../core/controller/intents.js";
import { fromItem } from "./attribute-json.js";
import { INTENT_ATTRIBUTES, toGroupIntent, toNodeAdmin } from "./intent-items.js";
import { queryRawPage } from "./raw-query.js";
import {
  GUARD_ATTRIBUTES,
  JUDGED_NODES_ATTRIBUTES,
  LEASE_ATTRIBUTES,
  readGuardItem,
  readJudgedNodesItem,
  readLeaseItem,
} from "./records/control-items.js";
import { GROUP_ITEM_ATTRIBUTES, readGroupItem } from "./records/group-item.js";
import { NODE_REPORT_ATTRIBUTES, readNodeReport } from "./records/node-item.js";
import { type TableAccess, tableCall } from "./table-errors.js";
import { itemKeys, SORT_PREFIX, STATE_PARTITION } from "./table-layout.js";

/**
 * The attributes a pass reads: each item kind's own list (lib/aws/records), so that every attribute the controller
 * writes is read back. Node items' ordering bookkeeping (boot id, sequence, up to 16 retired boots) is the heartbeat
 * function's and stays in the table: leaving it out more than halves what a pass reads.
 */
const SNAPSHOT_ATTRIBUTES = [
  ...new Set([
    "sk",
    ...NODE_REPORT_ATTRIBUTES,
    ...GROUP_ITEM_ATTRIBUTES,
    ...GUARD_ATTRIBUTES,
    ...LEASE_ATTRIBUTES,
    ...JUDGED_NODES_ATTRIBUTES,
    // operator intents and node admin items (intent-items.ts)
    ...INTENT_ATTRIBUTES,
  ]),
];

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

/**
 * The whole state partition with one paged, strongly consistent Query: nodes, groups, guard, controller lease, the
 * nodes as last judged, operator intents and admin items.
 */
export async function readSnapshot({ client, tableName }: TableAccess): Promise<ClusterSnapshot> {
  const liveness = new Map<NodeId, NodeReport>();
  const groups = new Map<GroupId, GroupRecord>();
  let guard: GuardRecord | null = null;
  let lease: ControllerLease | null = null;
  let judgedNodes: JudgedNodes | null = null;
  const intents = new Map<GroupId, GroupIntent>();
  const admin = new Map<NodeId, NodeAdmin>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await tableCall("Query", () =>
      queryRawPage(client, { ...SNAPSHOT_QUERY, TableName: tableName, ExclusiveStartKey: startKey }),
    );
    for (const raw of page.items) {
      const sk = raw.sk?.S ?? "";
      if (sk.startsWith(SORT_PREFIX.node)) {
        // Half the items, every pass: read straight from DynamoDB's JSON, without an intermediate object.
        const node = readNodeReport(sk.slice(SORT_PREFIX.node.length), raw);
        liveness.set(node.nodeId, node);
        continue;
      }
      const item = fromItem(raw);
      if (sk.startsWith(SORT_PREFIX.group)) {
        const group = readGroupItem(sk.slice(SORT_PREFIX.group.length), item);
        groups.set(group.groupId, group);
      } else if (sk === itemKeys.guard.sk) {
        guard = readGuardItem(item);
      } else if (sk === itemKeys.controllerLease.sk) {
        lease = readLeaseItem(item);
      } else if (sk === itemKeys.judgedNodes.sk) {
        judgedNodes = readJudgedNodesItem(item);
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
  return { liveness, groups, guard, lease, intents, admin, judgedNodes };
}
