import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ClusterLogEntry, ClusterStateStore } from "../core/controller/adapters.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  ReportCondition,
} from "../core/controller/records.js";
import type { GroupId } from "../core/definition/types.js";
import { appendLog } from "./cluster-log-writer.js";
import { settleGroupIntent } from "./intent-items.js";
import { readSnapshot } from "./snapshot-reader.js";
import type { TableAccess } from "./table-errors.js";
import { acquireLease, releaseLease, writeGroup, writeGuard, writeJudgedNodes } from "./versioned-writes.js";

/**
 * The controller's side of the table (docs/table.md), in three parts: the snapshot reader (one paged Query reads
 * the whole state partition), the versioned writes (every write of a group, of the guard or of the node judgements is
 * conditioned on the version read; the controller lease) and the log writer. Each item kind is read and written by its codec in
 * lib/aws/records.
 */
export class DynamoClusterStateStore implements ClusterStateStore {
  private readonly table: TableAccess;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = { client, tableName };
  }

  readSnapshot(): Promise<ClusterSnapshot> {
    return readSnapshot(this.table);
  }

  acquireLease(holder: string, now: number, durationMs: number): Promise<ControllerLease | null> {
    return acquireLease(this.table, holder, now, durationMs);
  }

  releaseLease(holder: string, now: number): Promise<void> {
    return releaseLease(this.table, holder, now);
  }

  writeGroup(record: GroupRecord, expectedVersion: number, basedOn: readonly ReportCondition[] = []): Promise<void> {
    return writeGroup(this.table, record, expectedVersion, basedOn);
  }

  settleIntent(
    groupId: GroupId,
    intentId: string,
    outcome: { readonly state: "taken" | "refused"; readonly reason: string; readonly epoch?: number },
  ): Promise<void> {
    return settleGroupIntent(this.table.client, this.table.tableName, groupId, intentId, outcome);
  }

  writeGuard(record: GuardRecord, expectedVersion: number): Promise<void> {
    return writeGuard(this.table, record, expectedVersion);
  }

  writeJudgedNodes(record: JudgedNodes, expectedVersion: number): Promise<void> {
    return writeJudgedNodes(this.table, record, expectedVersion);
  }

  appendLog(entries: readonly ClusterLogEntry[]): Promise<void> {
    return appendLog(this.table, entries);
  }
}
