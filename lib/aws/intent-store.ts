/**
 * Operator intents in the table (docs/table.md "Operator intents"): the CLI's writes (`baton move`, `reset`,
 * `drill`, `drain`, `resume`), each a conditional write recorded in the cluster log with the caller's identity;
 * checked first against the state read. The items' codec is intent-items.ts; waking the controller afterwards,
 * controller-waker.ts. The decisions (what may be asked) are lib/core/controller/intents.ts's.
 */
import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { assessNodes } from "../core/controller/detection.js";
import {
  drainRefusal,
  type GroupIntent,
  type GroupIntentAction,
  moveTarget,
  type NodeAdmin,
  resetRefusal,
  resumeRefusal,
} from "../core/controller/intents.js";
import { type ClusterSnapshot, emptyGroupRecord } from "../core/controller/records.js";
import type { ClusterDefinition, GroupId, NodeId } from "../core/definition/types.js";
import { DynamoClusterStateStore } from "./cluster-store.js";
import { groupIntentItem, intentAwsError, nodeAdminItem, toGroupIntent, toNodeAdmin } from "./intent-items.js";
import { itemKeys } from "./table-layout.js";

/** Why an operator's write was not made: another operator got there first, or the cluster's state refuses it. */
export class IntentRefusedError extends Error {
  constructor(
    message: string,
    /** `conflict`: another write won (an intent pending, a drain already there); `refused`: the state forbids it. */
    readonly code: "conflict" | "refused",
  ) {
    super(message);
    this.name = "IntentRefusedError";
  }
}

export interface OperatorRequest {
  /** The caller's identity (STS GetCallerIdentity `Arn`), recorded on the intent and in the cluster log. */
  readonly by: string;
}

export interface GroupIntentRequest extends OperatorRequest {
  readonly groupId: GroupId;
  readonly action: GroupIntentAction;
  readonly target?: NodeId | null;
  readonly drill?: boolean;
}

/**
 * The operator's side of the table. With a definition, a request is checked first against the state read (strongly
 * consistent) and refused with the reason (IntentRefusedError `refused`); without one, only the controller checks
 * it, when it takes the intent (then the intent is settled `refused` with the reason).
 */
export class DynamoIntentStore {
  private readonly state: DynamoClusterStateStore;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly definition: ClusterDefinition | null,
    private readonly now: () => number = Date.now,
  ) {
    this.state = new DynamoClusterStateStore(client, tableName);
  }

  /** The state partition, as the controller reads it (intents and admin items included). */
  readSnapshot(): Promise<ClusterSnapshot> {
    return this.state.readSnapshot();
  }

  /** Every group's intent (pending or settled, until TTL deletes it). */
  async readIntents(): Promise<ReadonlyMap<GroupId, GroupIntent>> {
    return (await this.readSnapshot()).intents ?? new Map();
  }

  /**
   * Writes a group intent: `PutItem` conditioned on no intent of the group being pending
   * (`attribute_not_exists(sk) OR intentState <> pending`), so two operators racing get one intent: the other is
   * told whose is pending. Recorded in the cluster log (`intent-written`).
   * @throws IntentRefusedError
   */
  async writeGroupIntent(request: GroupIntentRequest): Promise<GroupIntent> {
    const target = request.target ?? null;
    const drill = request.drill === true;
    if (this.definition) {
      const group = this.definition.groups.find((g) => g.id === request.groupId);
      if (!group) {
        throw new IntentRefusedError(
          `${request.groupId} is not a group of the cluster (groups: ${this.definition.groups.map((g) => g.id).join(", ")})`,
          "refused",
        );
      }
      const snapshot = await this.readSnapshot();
      const now = this.now();
      const record = snapshot.groups.get(group.id) ?? emptyGroupRecord(group.id, now);
      const pending = snapshot.intents?.get(group.id);
      if (pending?.state === "pending") throw new IntentRefusedError(pendingMessage(pending), "conflict");
      const health = assessNodes(this.definition, snapshot.liveness, now, snapshot.groups, snapshot.admin);
      if (request.action === "reset") {
        const refusal = resetRefusal(record);
        if (refusal !== null) throw new IntentRefusedError(refusal, "refused");
        if (target !== null) {
          const chosen = moveTarget(this.definition, group, { ...record, status: "offline" }, health, {
            to: target,
            drill: false,
          });
          if ("refused" in chosen) throw new IntentRefusedError(chosen.refused, "refused");
        }
      } else {
        const chosen = moveTarget(this.definition, group, record, health, { to: target, drill });
        if ("refused" in chosen) throw new IntentRefusedError(chosen.refused, "refused");
      }
    }
    const at = this.now();
    const intent: GroupIntent = {
      groupId: request.groupId,
      id: randomUUID(),
      action: request.action,
      target,
      drill,
      by: request.by,
      at,
      state: "pending",
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(groupIntentItem(intent), { removeUndefinedValues: true }),
          ConditionExpression: "attribute_not_exists(#sk) OR #state <> :pending",
          ExpressionAttributeNames: { "#sk": "sk", "#state": "intentState" },
          ExpressionAttributeValues: marshall({ ":pending": "pending" }),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const old = error.Item ? toGroupIntent(intent.groupId, unmarshall(error.Item)) : null;
        throw new IntentRefusedError(
          old ? pendingMessage(old) : `another intent for group ${intent.groupId} is pending`,
          "conflict",
        );
      }
      throw intentAwsError("PutItem", error);
    }
    const verb = intent.drill ? "drill" : intent.action;
    await this.log(
      at,
      intent.groupId,
      "intent-written",
      `${verb} asked`,
      `${describe(intent)} (intent ${intent.id} by ${intent.by})`,
    );
    return intent;
  }

  /**
   * Drains a node: the admin item `drained = true, failback = false`, conditioned on the node not being drained
   * already. It stays until `resume`, across the node's reboots and agent restarts. Logged (`node-drained`).
   * @throws IntentRefusedError
   */
  async drain(nodeId: NodeId, request: OperatorRequest): Promise<NodeAdmin> {
    const snapshot = await this.readSnapshot();
    const admin = snapshot.admin?.get(nodeId);
    if (this.definition) {
      const now = this.now();
      const health = assessNodes(this.definition, snapshot.liveness, now, snapshot.groups, snapshot.admin);
      const refusal = drainRefusal(this.definition, nodeId, admin, snapshot.groups, health);
      if (refusal !== null) throw new IntentRefusedError(refusal, admin?.drained ? "conflict" : "refused");
    }
    const at = this.now();
    const next: NodeAdmin = { nodeId, drained: true, failback: false, by: request.by, at };
    await this.putAdmin(next, "attribute_not_exists(#sk) OR #drained = :no", (old) =>
      old ? `${nodeId} is already drained (by ${old.by} at ${new Date(old.at).toISOString()})` : `${nodeId} changed`,
    );
    await this.log(at, null, "node-drained", `drained ${nodeId}`, `by ${request.by}`);
    return next;
  }

  /**
   * Resumes a drained node: with `failback`, the admin item is deleted (groups return under their failback
   * policy); without, it becomes `drained = false, failback = false` (groups may be placed on it, none returns on
   * its own). Conditioned on the item read (a concurrent resume or drain wins or loses cleanly). Logged.
   * @throws IntentRefusedError
   */
  async resume(nodeId: NodeId, request: OperatorRequest & { readonly failback: boolean }): Promise<NodeAdmin | null> {
    const snapshot = await this.readSnapshot();
    const admin = snapshot.admin?.get(nodeId);
    const refusal = this.definition
      ? resumeRefusal(this.definition, nodeId, admin, request.failback)
      : admin === undefined || (!admin.drained && (admin.failback || !request.failback))
        ? `${nodeId} is not drained: nothing to resume`
        : null;
    if (refusal !== null) throw new IntentRefusedError(refusal, "refused");
    const at = this.now();
    const detail = `by ${request.by}${request.failback ? ", groups may fail back to it" : ", no group fails back to it on its own"}`;
    if (request.failback) {
      try {
        await this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: marshall(itemKeys.nodeAdmin(nodeId)),
            ConditionExpression: "#at = :at",
            ExpressionAttributeNames: { "#at": "at" },
            ExpressionAttributeValues: marshall({ ":at": admin!.at }),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new IntentRefusedError(
            `${nodeId} was drained or resumed by someone else meanwhile: look again`,
            "conflict",
          );
        }
        throw intentAwsError("DeleteItem", error);
      }
      await this.log(at, null, "node-resumed", `resumed ${nodeId}`, detail);
      return null;
    }
    const next: NodeAdmin = { nodeId, drained: false, failback: false, by: request.by, at };
    await this.putAdmin(
      next,
      "#at = :seen",
      () => `${nodeId} was drained or resumed by someone else meanwhile: look again`,
      admin!.at,
    );
    await this.log(at, null, "node-resumed", `resumed ${nodeId}`, detail);
    return next;
  }

  private async putAdmin(
    admin: NodeAdmin,
    condition: string,
    conflict: (old: NodeAdmin | null) => string,
    seenAt?: number,
  ): Promise<void> {
    const names: Record<string, string> = condition.includes("#sk")
      ? { "#sk": "sk", "#drained": "drained" }
      : { "#at": "at" };
    const values = condition.includes(":no") ? { ":no": false } : { ":seen": seenAt };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(nodeAdminItem(admin)),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const old = error.Item ? toNodeAdmin(admin.nodeId, unmarshall(error.Item)) : null;
        throw new IntentRefusedError(conflict(old), "conflict");
      }
      throw intentAwsError("PutItem", error);
    }
  }

  private async log(
    at: number,
    groupId: GroupId | null,
    event: string,
    outcome: string,
    detail: string,
  ): Promise<void> {
    await this.state.appendLog([{ at, groupId, epoch: null, event, outcome, detail }]);
  }
}

function pendingMessage(intent: GroupIntent): string {
  return `group ${intent.groupId} already has a pending ${describe(intent)}, asked by ${intent.by} at ${new Date(intent.at).toISOString()}: wait for it (baton status) or for its outcome`;
}

function describe(intent: Pick<GroupIntent, "action" | "drill" | "target" | "groupId">): string {
  const verb = intent.drill ? "drill" : intent.action;
  return `${verb} of ${intent.groupId}${intent.target ? ` to ${intent.target}` : ""}`;
}
