// Over 300 lines: the heartbeat path's table I/O on one client with one set of retry rules: the node item's
// conditional write with its retries (most of the file), the ownership and peer reads, and the wake claim.
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionConflictException,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { setTimeout as sleep } from "node:timers/promises";
import type { GroupId } from "../core/definition/types.js";
import { StaleHeartbeatError, StoreUnavailableError } from "../core/heartbeat/errors.js";
import type { Heartbeat } from "../core/heartbeat/message.js";
import { judgeSequence } from "../core/heartbeat/sequence.js";
import type { GroupOwnership, HeartbeatStore } from "../core/heartbeat/store.js";
import type { WakeStore } from "../core/heartbeat/store.js";
import type { PeerLiveness } from "../core/heartbeat/wake.js";
import type { NodeId } from "../core/definition/types.js";
import { fromItem } from "./attribute-json.js";
import { OWNERSHIP_ATTRIBUTES, readGroupOwnership } from "./records/group-item.js";
import { type NodePosition, readNodePosition } from "./records/node-item.js";
import { itemKeys } from "./table-layout.js";

/** The group item's attributes the answer is made of (and its sort key, to tell the items apart). */
const OWNERSHIP_PROJECTION = {
  expression: ["sk", ...OWNERSHIP_ATTRIBUTES].map((name) => `#${name}`).join(", "),
  names: Object.fromEntries(["sk", ...OWNERSHIP_ATTRIBUTES].map((name) => [`#${name}`, name])),
};

/** Attempts at one heartbeat when concurrent writers keep changing the record under it. */
const MAX_WRITE_ATTEMPTS = 4;
/** Tries of one write that a concurrent transaction on the node item refuses (TransactionConflictException). */
const MAX_CONFLICT_ATTEMPTS = 3;
const CONFLICT_RETRY_BASE_MS = 10;
/** BatchGetItem may leave keys unprocessed under load; how many times to ask again. */
const MAX_BATCH_ROUNDS = 3;

const NAMES = {
  "#pk": "pk",
  "#node": "nodeId",
  "#boot": "bootId",
  "#seq": "seq",
  "#at": "receivedAt",
  "#res": "resources",
  "#started": "bootStartedAt",
  "#retired": "retiredBoots",
  "#retiredAt": "retiredAt",
  "#leaving": "leaving",
  "#epochs": "epochs",
  "#agentVersion": "agentVersion",
  "#grant": "leaseMs",
  "#until": "leaseUntil",
};

/** The lease an answer grants: its length, and its end by the heartbeat function's clock. */
interface Lease {
  readonly ms: number;
  readonly until: number;
}

/** The node item a failed condition returned: its ordering position and the end of the longest lease granted. */
type Seen = NodePosition;

/** The DynamoDB side of the heartbeat path: one conditional UpdateItem per accepted heartbeat. */
export class DynamoHeartbeatStore implements HeartbeatStore, WakeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async recordHeartbeat(heartbeat: Heartbeat, receivedAt: number, grantedLeaseMs: number): Promise<void> {
    const lease: Lease = { ms: grantedLeaseMs, until: receivedAt + grantedLeaseMs };
    // First try: the common case, the next heartbeat of the boot the table holds (or the
    // node's first ever). Its condition is what makes a replay or a reordering harmless.
    let seen = await this.write(heartbeat, receivedAt, lease, { kind: "next" });
    for (let attempt = 1; seen !== "written"; attempt++) {
      const verdict = judgeSequence(seen, heartbeat, receivedAt);
      if (verdict.kind === "duplicate") {
        throw new StaleHeartbeatError(
          `seq ${heartbeat.seq} is not greater than ${verdict.lastSeq}, the last one accepted for bootId ${heartbeat.bootId}: a replay or a duplicate.`,
          [{ path: "seq", message: `must be greater than ${verdict.lastSeq}` }],
        );
      }
      if (verdict.kind === "retired-boot") {
        throw new StaleHeartbeatError(
          `bootId ${heartbeat.bootId} belongs to a boot that node "${heartbeat.nodeId}" has left: a late message of an earlier run of the agent.`,
          [{ path: "bootId", message: "is a boot the node has already left" }],
        );
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new StaleHeartbeatError(
          `The record of node "${heartbeat.nodeId}" changed under ${MAX_WRITE_ATTEMPTS} attempts in a row; another heartbeat of the node won.`,
        );
      }
      if (verdict.kind === "new-boot") {
        // A new boot: write conditioned on the exact record seen.
        seen = await this.write(heartbeat, receivedAt, lease, {
          kind: "exact",
          seen,
          retiredBoots: verdict.retiredBoots,
          retiredAt: verdict.retiredAt,
        });
      } else if (seen !== undefined && (seen.leaseUntil ?? -Infinity) > lease.until) {
        // The next seq, but an earlier answer's lease outlasts the one this answer grants (a deploy shortened
        // the lease): record the heartbeat on the exact record seen, keeping the longer lease.
        seen = await this.write(heartbeat, receivedAt, lease, { kind: "exact", seen, retiredBoots: undefined });
      } else {
        // Another heartbeat of the node was written first: try again.
        seen = await this.write(heartbeat, receivedAt, lease, { kind: "next" });
      }
    }
  }

  /** One conditional write; returns "written", or the record that made the condition fail. */
  private async write(
    heartbeat: Heartbeat,
    receivedAt: number,
    lease: Lease,
    mode:
      | { readonly kind: "next" }
      | {
          readonly kind: "exact";
          readonly seen: Seen | undefined;
          /** A new boot: the boots it retires; undefined: the same boot. */
          readonly retiredBoots: readonly string[] | undefined;
          /** A new boot: when each of `retiredBoots` was left. */
          readonly retiredAt?: readonly number[];
        },
  ): Promise<"written" | Seen | undefined> {
    const values: Record<string, unknown> = {
      ":node": heartbeat.nodeId,
      ":boot": heartbeat.bootId,
      ":seq": heartbeat.seq,
      ":now": receivedAt,
      ":res": heartbeat.resources,
    };
    let update = "SET #node = :node, #boot = :boot, #seq = :seq, #at = :now, #res = :res";
    // `leaving` is present only while the last accepted heartbeat is a leaving one; absent reads as false.
    if (heartbeat.leaving === true) {
      update += ", #leaving = :leaving";
      values[":leaving"] = true;
    }
    // `epochs`: the last accepted heartbeat's, present only when it named at least one group (absent reads as {}),
    // so an older agent's heartbeat never leaves a newer one's epochs behind it.
    const epochs = heartbeat.epochs ?? {};
    const hasEpochs = Object.keys(epochs).length > 0;
    if (hasEpochs) {
      update += ", #epochs = :epochs";
      values[":epochs"] = epochs;
    }
    // `agentVersion`: the last accepted heartbeat's, absent when it named none (an older agent).
    if (heartbeat.agentVersion !== undefined) {
      update += ", #agentVersion = :agentVersion";
      values[":agentVersion"] = heartbeat.agentVersion;
    }
    // The lease this answer grants, unless an earlier answer's lasts longer: `leaseUntil` never goes back.
    const setLease = (): void => {
      update += ", #grant = :grant, #until = :until";
      values[":grant"] = lease.ms;
      values[":until"] = lease.until;
    };
    let condition: string;
    if (mode.kind === "next") {
      update += ", #started = if_not_exists(#started, :now), #retired = if_not_exists(#retired, :none)";
      values[":none"] = [];
      setLease();
      condition =
        "attribute_not_exists(#pk) OR (#boot = :boot AND #seq < :seq AND (attribute_not_exists(#until) OR #until <= :until))";
    } else {
      if (mode.retiredBoots === undefined) {
        update += ", #started = if_not_exists(#started, :now), #retired = if_not_exists(#retired, :none)";
        values[":none"] = [];
      } else {
        update += ", #started = :now, #retired = :retired, #retiredAt = :retiredAt";
        values[":retired"] = mode.retiredBoots;
        values[":retiredAt"] = mode.retiredAt ?? [];
      }
      if ((mode.seen?.leaseUntil ?? -Infinity) <= lease.until) setLease();
      if (mode.seen === undefined) {
        condition = "attribute_not_exists(#pk)";
      } else {
        condition = "#boot = :seenBoot AND #seq = :seenSeq";
        values[":seenBoot"] = mode.seen.bootId;
        values[":seenSeq"] = mode.seen.seq;
      }
    }
    const removed = [
      ...(heartbeat.leaving !== true ? ["#leaving"] : []),
      ...(hasEpochs ? [] : ["#epochs"]),
      ...(heartbeat.agentVersion === undefined ? ["#agentVersion"] : []),
    ];
    if (removed.length > 0) update += ` REMOVE ${removed.join(", ")}`;
    const names = Object.fromEntries(
      Object.entries(NAMES).filter(([alias]) => update.includes(alias) || condition.includes(alias)),
    );
    const command = new UpdateItemCommand({
      TableName: this.tableName,
      Key: marshall(itemKeys.nodeLiveness(heartbeat.nodeId)),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(command);
        return "written";
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return readNodePosition(error.Item);
        // A controller transaction checking this node's report holds the item for a few milliseconds (table.md);
        // DynamoDB refuses the write meanwhile and the SDK does not retry that. Not the node's fault: try again.
        if (error instanceof TransactionConflictException && attempt < MAX_CONFLICT_ATTEMPTS) {
          await sleep(CONFLICT_RETRY_BASE_MS * 2 ** (attempt - 1));
          continue;
        }
        throw new StoreUnavailableError(`Could not record the heartbeat in table ${this.tableName}.`, { cause: error });
      }
    }
  }

  async readOwnership(groupIds: readonly GroupId[]): Promise<ReadonlyMap<GroupId, GroupOwnership>> {
    const result = new Map<GroupId, GroupOwnership>();
    const idBySortKey = new Map(groupIds.map((id) => [itemKeys.groupState(id).sk, id]));
    let keys: Record<string, AttributeValue>[] = groupIds.map((id) => marshall(itemKeys.groupState(id)));
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) {
        throw new StoreUnavailableError(`DynamoDB left ${keys.length} group items unread after ${round} rounds.`);
      }
      try {
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ConsistentRead: true,
                ProjectionExpression: OWNERSHIP_PROJECTION.expression,
                ExpressionAttributeNames: OWNERSHIP_PROJECTION.names,
              },
            },
          }),
        );
        for (const raw of out.Responses?.[this.tableName] ?? []) {
          // Baton's reader, not unmarshall: a desired state keyed __proto__ stays a key (unmarshall drops it).
          const item = fromItem(raw);
          const id = idBySortKey.get(String(item.sk));
          if (id === undefined) continue;
          result.set(id, readGroupOwnership(item));
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      } catch (error) {
        throw new StoreUnavailableError(`Could not read group owners from table ${this.tableName}.`, { cause: error });
      }
    }
    return result;
  }

  async readPeers(nodeIds: readonly NodeId[]): Promise<ReadonlyMap<NodeId, PeerLiveness>> {
    const result = new Map<NodeId, PeerLiveness>();
    if (nodeIds.length === 0) return result;
    const out = await this.client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [this.tableName]: {
            Keys: nodeIds.map((id) => marshall(itemKeys.nodeLiveness(id))),
            // Eventually consistent (half the read units): a view a moment old only delays a wake-up.
            ConsistentRead: false,
            ProjectionExpression: "#node, #at, #until",
            ExpressionAttributeNames: { "#node": "nodeId", "#at": "receivedAt", "#until": "leaseUntil" },
          },
        },
      }),
    );
    for (const raw of out.Responses?.[this.tableName] ?? []) {
      const item = fromItem(raw);
      if (typeof item.nodeId !== "string" || typeof item.receivedAt !== "number") continue;
      result.set(item.nodeId, {
        receivedAt: item.receivedAt,
        leaseUntil: typeof item.leaseUntil === "number" ? item.leaseUntil : undefined,
      });
    }
    return result;
  }

  async claimWake(now: number, windowMs: number, reason: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(itemKeys.controllerWake),
          UpdateExpression: "SET #woken = :now, #reason = :reason",
          ConditionExpression: "attribute_not_exists(#woken) OR #woken <= :cut",
          ExpressionAttributeNames: { "#woken": "wokenAt", "#reason": "wakeReason" },
          ExpressionAttributeValues: marshall({ ":now": now, ":cut": now - windowMs, ":reason": reason }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
