import type { ClusterLogEntry, ClusterStateStore } from "../../../lib/core/controller/adapters.js";
import { StateConflictError } from "../../../lib/core/controller/adapters.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  ReportCondition,
} from "../../../lib/core/controller/records.js";
import type { GroupIntent, NodeAdmin } from "../../../lib/core/controller/intents.js";
import type { NodeLiveness } from "../../../lib/core/heartbeat/store.js";

/**
 * An in-memory table with DynamoDB's contract for the controller's items: every write is
 * conditioned on the version read, and reads return copies. Heartbeats are written directly.
 */
export class InMemoryStateStore implements ClusterStateStore {
  readonly liveness = new Map<string, NodeLiveness>();
  readonly groups = new Map<string, GroupRecord>();
  guard: GuardRecord | null = null;
  lease: ControllerLease | null = null;
  /** The nodes as the controller last judged them (`controller#nodes`); null: never written. */
  judgedNodes: JudgedNodes | null = null;
  /** Operator intents per group and admin items per node, as the CLI writes them (tests set them directly). */
  readonly intents = new Map<string, GroupIntent>();
  readonly admin = new Map<string, NodeAdmin>();
  readonly log: ClusterLogEntry[] = [];
  /** Every group record ever written, in order: the history the properties are checked on. */
  readonly groupWrites: GroupRecord[] = [];

  /**
   * A heartbeat as the heartbeat function records it (receipt time by its clock); `leaving`: the boot's last;
   * `grantedLeaseMs`: the lease its answer grants, recorded as DynamoHeartbeatStore does (the end of the longest
   * lease granted never goes back); left out, nothing is recorded (the definition's lease applies).
   */
  heartbeat(
    nodeId: string,
    receivedAt: number,
    resources: NodeLiveness["resources"] = {},
    bootId = "boot-1",
    leaving = false,
    epochs: NodeLiveness["epochs"] = {},
    grantedLeaseMs?: number,
  ): void {
    const previous = this.liveness.get(nodeId);
    const sameBoot = previous?.bootId === bootId;
    const until = grantedLeaseMs === undefined ? undefined : receivedAt + grantedLeaseMs;
    const keep = previous?.leaseUntil !== undefined && (until === undefined || previous.leaseUntil > until);
    this.liveness.set(nodeId, {
      leaseMs: keep ? previous.leaseMs : grantedLeaseMs,
      leaseUntil: keep ? previous.leaseUntil : until,
      nodeId,
      bootId,
      seq: sameBoot ? previous.seq + 1 : 0,
      receivedAt,
      bootStartedAt: sameBoot ? previous.bootStartedAt : receivedAt,
      resources: { ...resources },
      retiredBoots: [],
      leaving,
      epochs: { ...epochs },
    });
  }

  readSnapshot(): Promise<ClusterSnapshot> {
    return Promise.resolve(
      structuredClone({
        liveness: this.liveness,
        groups: this.groups,
        guard: this.guard,
        lease: this.lease,
        intents: this.intents,
        admin: this.admin,
        judgedNodes: this.judgedNodes,
      }),
    );
  }

  acquireLease(holder: string, now: number, durationMs: number): Promise<ControllerLease | null> {
    const current = this.lease;
    if (current && current.expiresAt >= now && current.holder !== holder) return Promise.resolve(null);
    this.lease = { holder, expiresAt: now + durationMs, version: (current?.version ?? 0) + 1 };
    return Promise.resolve({ ...this.lease });
  }

  settleIntent(
    groupId: string,
    intentId: string,
    outcome: { readonly state: "taken" | "refused"; readonly reason: string; readonly epoch?: number },
  ): Promise<void> {
    const intent = this.intents.get(groupId);
    if (intent?.id === intentId && intent.state === "pending") this.intents.set(groupId, { ...intent, ...outcome });
    return Promise.resolve();
  }

  releaseLease(holder: string, now: number): Promise<void> {
    if (this.lease?.holder === holder)
      this.lease = { ...this.lease, expiresAt: now - 1, version: this.lease.version + 1 };
    return Promise.resolve();
  }

  writeGroup(record: GroupRecord, expectedVersion: number, basedOn: readonly ReportCondition[] = []): Promise<void> {
    const stored = this.groups.get(record.groupId)?.version ?? 0;
    if (stored !== expectedVersion) {
      return Promise.reject(
        new StateConflictError(`group ${record.groupId} is at version ${stored}, not ${expectedVersion}`),
      );
    }
    for (const report of basedOn) {
      const node = this.liveness.get(report.nodeId);
      if (node?.bootId !== report.bootId || (report.latest ? node.seq !== report.seq : node.seq < report.seq)) {
        return Promise.reject(new StateConflictError(`node ${report.nodeId} has reported again`));
      }
    }
    if (record.version !== expectedVersion + 1) throw new Error("a write must raise the version by one");
    this.groups.set(record.groupId, structuredClone(record));
    this.groupWrites.push(structuredClone(record));
    return Promise.resolve();
  }

  writeGuard(record: GuardRecord, expectedVersion: number): Promise<void> {
    if ((this.guard?.version ?? 0) !== expectedVersion) {
      return Promise.reject(new StateConflictError("guard changed"));
    }
    this.guard = structuredClone(record);
    return Promise.resolve();
  }

  writeJudgedNodes(record: JudgedNodes, expectedVersion: number): Promise<void> {
    if ((this.judgedNodes?.version ?? 0) !== expectedVersion) {
      return Promise.reject(new StateConflictError("node judgements changed"));
    }
    if (record.version !== expectedVersion + 1) throw new Error("a write must raise the version by one");
    this.judgedNodes = structuredClone(record);
    return Promise.resolve();
  }

  appendLog(entries: readonly ClusterLogEntry[]): Promise<void> {
    this.log.push(...entries);
    return Promise.resolve();
  }
}
