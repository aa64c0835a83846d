/**
 * The cluster table as DynamoDB behaves, for both its writers: the controller (ClusterStateStore) and the
 * heartbeat function (HeartbeatStore). Unkind where DynamoDB is:
 * - every call takes time, and its effect lands at one instant within it;
 * - the snapshot is a paged Query: each page is read when it is fetched, so one snapshot mixes items of
 *   different instants (it is not a point-in-time read);
 * - in a "lost answers" window a write can commit and the caller still get an error;
 * - `writeGroup(record, expectedVersion, basedOn)` commits only if the version and every named node report
 *   (boot id and seq) still match at the commit instant (the TransactWriteItems of the contract).
 * Every committed group write is shown to the oracle with the guard item as it stood at that instant.
 */
import { AwsUnavailableError } from "../../core/aws-errors.js";
import { type ClusterLogEntry, type ClusterStateStore, StateConflictError } from "../../core/controller/adapters.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  NodeAdmin,
  NodeReport,
  ReportCondition,
} from "../../core/controller/records.js";
import type { GroupId, NodeId } from "../../core/definition/types.js";
import { StaleHeartbeatError, StoreUnavailableError } from "../../core/heartbeat/errors.js";
import type { Heartbeat } from "../../core/heartbeat/message.js";
import { judgeSequence } from "../../core/heartbeat/sequence.js";
import type { GroupOwnership, HeartbeatStore, NodeLiveness } from "../../core/heartbeat/store.js";
import type { Oracle } from "../oracle.js";
import type { Prng } from "../prng.js";
import type { Scheduler } from "../scheduler.js";
import type { Trace } from "../trace.js";

export class SimTable {
  readonly nodes = new Map<NodeId, NodeLiveness>();
  readonly groups = new Map<GroupId, GroupRecord>();
  guard: GuardRecord | null = null;
  /** When the guard item last said frozen (virtual time), for the liveness check. */
  lastFrozenAt = -Infinity;
  lease: ControllerLease | null = null;
  /** The nodes as the controller last judged them (`controller#nodes`): reporting only. */
  judgedNodes: JudgedNodes | null = null;
  /** Operators' standing word per node (`admin#node#<id>`, written by `baton drain`): `baton simulate --drain`. */
  readonly admin = new Map<NodeId, NodeAdmin>();
  /** Until this time, a write may commit with its answer lost. */
  lostAnswersUntil = -Infinity;
  lostAnswersFrom = Infinity;
  /** Told of every committed group write (reactive faults watch moves through it). */
  onGroupWrite: (previous: GroupRecord | undefined, next: GroupRecord) => void = () => undefined;
  /** When the last controller passes began reading the table (for faults that aim at a pass). */
  readonly snapshotReads: number[] = [];

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    private readonly oracle: Oracle,
    private readonly trace: Trace,
  ) {}

  private latency(): Promise<void> {
    return this.sched.sleep(this.rng.int(2, 25));
  }

  /** One call: wait, commit `effect` at one instant, wait for the answer (which may be lost). */
  private async call<T>(name: string, effect: () => T, unavailable: (m: string) => Error): Promise<T> {
    await this.latency();
    const result = effect();
    await this.latency();
    const now = this.sched.now;
    if (now >= this.lostAnswersFrom && now < this.lostAnswersUntil && this.rng.chance(0.3)) {
      this.trace.add(`table: ${name} committed, its answer lost`);
      throw unavailable(`${name}: the answer was lost (it committed)`);
    }
    return result;
  }

  private controllerError = (m: string): Error => new AwsUnavailableError("DynamoDB", m);

  // ---- the controller's port ----

  readonly store: ClusterStateStore = {
    readSnapshot: async (): Promise<ClusterSnapshot> => {
      this.snapshotReads.push(this.sched.now);
      if (this.snapshotReads.length > 20) this.snapshotReads.shift();
      // Items are stored frozen (the core never mutates what it reads), so a page hands them out as they are.
      // Query order: controller#guard, controller#lease, controller#nodes, group#..., node#...; pages of 1..4 items,
      // each read when fetched.
      const keys: string[] = ["guard", "lease", "judged", ...[...this.groups.keys()].map((g) => `g:${g}`)];
      keys.push(...[...this.nodes.keys()].sort().map((n) => `n:${n}`));
      const liveness = new Map<NodeId, NodeReport>();
      const groups = new Map<GroupId, GroupRecord>();
      let guard: GuardRecord | null = null;
      let lease: ControllerLease | null = null;
      let judgedNodes: JudgedNodes | null = null;
      for (let i = 0; i < keys.length;) {
        await this.latency();
        const size = this.rng.int(1, 4);
        for (const key of keys.slice(i, i + size)) {
          if (key === "guard") guard = this.guard;
          else if (key === "lease") lease = this.lease;
          else if (key === "judged") judgedNodes = this.judgedNodes;
          else if (key.startsWith("g:")) {
            const g = this.groups.get(key.slice(2));
            if (g) groups.set(g.groupId, g);
          } else {
            const n = this.nodes.get(key.slice(2));
            if (n) liveness.set(n.nodeId, n);
          }
        }
        i += size;
      }
      await this.latency();
      // The admin items (admin#node#..., before every controller# item) as they stand at the end of the read.
      return { liveness, groups, guard, lease, judgedNodes, admin: new Map(this.admin) };
    },

    acquireLease: (holder, now, durationMs) =>
      this.call(
        "acquire lease",
        () => {
          const current = this.lease;
          if (current && current.expiresAt >= now && current.holder !== holder) return null;
          this.lease = { holder, expiresAt: now + durationMs, version: (current?.version ?? 0) + 1 };
          return { ...this.lease };
        },
        this.controllerError,
      ),

    // The simulation writes no operator intents: nothing to settle.
    settleIntent: () => Promise.resolve(),

    releaseLease: (holder, now) =>
      this.call(
        "release lease",
        () => {
          if (this.lease?.holder === holder)
            this.lease = { ...this.lease, expiresAt: now - 1, version: this.lease.version + 1 };
        },
        this.controllerError,
      ),

    writeGroup: (record, expectedVersion, basedOn: readonly ReportCondition[] = []) =>
      this.call(
        `write group ${record.groupId}`,
        () => {
          const stored = this.groups.get(record.groupId)?.version ?? 0;
          if (stored !== expectedVersion) {
            throw new StateConflictError(`group ${record.groupId} is at version ${stored}, not ${expectedVersion}`);
          }
          for (const report of basedOn) {
            const node = this.nodes.get(report.nodeId);
            if (node?.bootId !== report.bootId || (report.latest ? node.seq !== report.seq : node.seq < report.seq)) {
              throw new StateConflictError(`node ${report.nodeId} has reported again`);
            }
          }
          if (record.version !== expectedVersion + 1) throw new Error("a write must raise the version by one");
          const previous = this.groups.get(record.groupId);
          this.groups.set(record.groupId, deepFreeze(structuredClone(record)));
          this.describeWrite(previous, record);
          this.oracle.groupWritten(record.groupId, record.epoch, this.guard?.frozen === true);
          this.onGroupWrite(previous, record);
        },
        this.controllerError,
      ),

    writeGuard: (record, expectedVersion) =>
      this.call(
        "write guard",
        () => {
          if ((this.guard?.version ?? 0) !== expectedVersion) throw new StateConflictError("guard changed");
          if (record.frozen !== (this.guard?.frozen ?? false))
            this.trace.add(`table: guard ${record.frozen ? "FROZEN" : "unfrozen"}`);
          this.guard = deepFreeze(structuredClone(record));
          if (record.frozen) this.lastFrozenAt = this.sched.now;
        },
        this.controllerError,
      ),

    writeJudgedNodes: (record, expectedVersion) =>
      this.call(
        "write node judgements",
        () => {
          if ((this.judgedNodes?.version ?? 0) !== expectedVersion)
            throw new StateConflictError("node judgements changed");
          this.judgedNodes = deepFreeze(structuredClone(record));
        },
        this.controllerError,
      ),

    appendLog: (_entries: readonly ClusterLogEntry[]) => this.call("append log", () => undefined, this.controllerError),
  };

  private describeWrite(previous: GroupRecord | undefined, next: GroupRecord): void {
    const step = next.plan?.steps[next.plan.stepIndex];
    const stepText = next.plan ? ` step ${next.plan.stepIndex}:${step ? step.kind : "end"}` : "";
    const desired = Object.entries(next.desired)
      .map(([id, s]) => `${id}=${s}`)
      .join(",");
    if (
      previous?.epoch !== next.epoch ||
      previous.status !== next.status ||
      previous.plan?.stepIndex !== next.plan?.stepIndex
    ) {
      const plan = next.plan
        ? ` plan ${next.plan.kind} ${next.plan.source ?? "-"}->${next.plan.target}${stepText}`
        : "";
      this.trace.add(
        `table: group ${next.groupId} v${next.version} epoch ${next.epoch} owner ${next.owner ?? "-"} ${next.status}${plan} [${desired}]${next.status === "failed" ? ` (${next.statusReason})` : ""}`,
      );
    }
  }

  // ---- the heartbeat function's port ----

  readonly heartbeats: HeartbeatStore = {
    recordHeartbeat: (heartbeat: Heartbeat, receivedAt: number, grantedLeaseMs: number) =>
      this.call(
        `heartbeat ${heartbeat.nodeId}#${heartbeat.seq}`,
        () => {
          const current = this.nodes.get(heartbeat.nodeId);
          const verdict = judgeSequence(current, heartbeat);
          if (verdict.kind === "duplicate" || verdict.kind === "retired-boot") {
            throw new StaleHeartbeatError(`stale heartbeat (${verdict.kind})`);
          }
          const newBoot = verdict.kind === "new-boot";
          // As the real store (lib/aws/heartbeat-store.ts) does: record the lease this answer grants unless an
          // earlier answer's lasts longer (`leaseUntil` never goes back, across boots). Without it the controller
          // could not see a longer lease granted before a deploy that shortened it.
          const until = receivedAt + grantedLeaseMs;
          const keep = current?.leaseUntil !== undefined && current.leaseUntil > until;
          this.nodes.set(
            heartbeat.nodeId,
            deepFreeze({
              nodeId: heartbeat.nodeId,
              bootId: heartbeat.bootId,
              seq: heartbeat.seq,
              receivedAt,
              bootStartedAt: newBoot || !current ? receivedAt : current.bootStartedAt,
              resources: { ...heartbeat.resources },
              retiredBoots: newBoot ? verdict.retiredBoots : (current?.retiredBoots ?? []),
              leaving: heartbeat.leaving === true,
              epochs: { ...(heartbeat.epochs ?? {}) },
              leaseMs: keep ? current.leaseMs : grantedLeaseMs,
              leaseUntil: keep ? current.leaseUntil : until,
            }),
          );
        },
        (m) => new StoreUnavailableError(m),
      ),

    readOwnership: async (groupIds) => {
      await this.latency();
      const result = new Map<GroupId, GroupOwnership>();
      for (const id of groupIds) {
        const g = this.groups.get(id);
        if (g) result.set(id, { owner: g.owner, epoch: g.epoch, desired: { ...g.desired }, status: g.status });
      }
      await this.latency();
      return result;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
