import type { FailoverRequest } from "../core/controller/alarm-requests.js";
import { assessNodes } from "../core/controller/detection.js";
import { type ControllerEvent, isNotable, type NodeEvent } from "../core/controller/events.js";
import { decideGroup } from "../core/controller/group-decision.js";
import { type ClusterGauges, clusterGauges } from "../core/controller/gauges.js";
import { evaluateGuard } from "../core/controller/guard.js";
import { decideIntent } from "../core/controller/intents.js";
import { notificationFor } from "../core/controller/notifications.js";
import { type NodeTransitions, nodeTransitions } from "../core/controller/node-transitions.js";
import { describeStep } from "../core/controller/plan-builder.js";
import { type ClusterLogEntry, StateConflictError } from "../core/controller/adapters.js";
import { emptyGroupRecord, type GroupRecord } from "../core/controller/records.js";
import type { NodeId } from "../core/definition/types.js";
import type { ControllerDependencies } from "./dependencies.js";
import { leaseKeeper, type LeaseKeeper } from "./lease-keeper.js";
import { runPlan } from "./run-plan.js";
import { logEntry } from "../core/controller/log-entries.js";

/** How a pass ended, for its summary. */
interface SummaryOf {
  readonly lookedOnly: boolean;
  readonly frozen: boolean;
  /** @default none */
  readonly events?: ControllerEvent[];
  /** Failed AWS calls. @default 0 */
  readonly awsErrors?: number;
}

/** What one pass saw and did: the controller's answer to `{"passes": 1}`. */
export interface PassSummary {
  readonly at: string;
  /**
   * True when the pass had something to do and another controller held the lease (or changed the guard under it):
   * it only looked, and left the work to that controller. A pass with nothing to do needs no lease: false.
   */
  readonly lookedOnly: boolean;
  /** This pass ends holding the controller lease (taken now or earlier in the invocation). */
  readonly leaseHeld: boolean;
  readonly frozen: boolean;
  /** `drained`: the nodes an operator drained (`baton drain`), up or down; each is also in `up` or `down`. */
  readonly nodes: {
    readonly up: readonly NodeId[];
    readonly down: readonly NodeId[];
    readonly drained: readonly NodeId[];
  };
  readonly groups: readonly {
    readonly id: string;
    readonly owner: NodeId | null;
    readonly epoch: number;
    readonly status: string;
    readonly reason: string;
    readonly step: string | null;
    /**
     * Who the group's move waits on: `controller` (its next step is an AWS action or check), `agent` (a node's
     * report: await-online, await-offline), or null (no move in flight, or the group failed).
     */
    readonly waitsOn: "controller" | "agent" | null;
  }[];
  readonly events: readonly ControllerEvent[];
  /** AWS calls that failed (throttled, unavailable, refused); none is a node failure. */
  readonly awsErrors: number;
  /** The state the metrics report every pass (`CONTROLLER_METRICS`), whatever the pass did. */
  readonly gauges: ClusterGauges;
}

/**
 * One controller pass (with `alarms`: the alarm-driven failover requests to act on, `alarm-requests.ts`): read the whole state with one Query, judge nodes and the guard, then decide
 * each group and take its plan as far as it goes. Before its first write or AWS action the pass
 * makes sure it holds the controller lease (the snapshot carries it), so a pass with nothing to do
 * writes nothing. Every write is conditional on what the snapshot showed, so a stale snapshot only
 * loses a race, and a pass that dies anywhere leaves a state the next pass completes.
 */
export async function runPass(
  deps: ControllerDependencies,
  alarms: readonly FailoverRequest[] = [],
): Promise<PassSummary> {
  const { definition, store } = deps;
  const now = deps.clock.now();
  const snapshot = await store.readSnapshot();
  const lease = leaseKeeper(deps, snapshot.lease, now);
  const health = assessNodes(definition, snapshot.liveness, now, snapshot.groups, snapshot.admin);
  // The guard votes, and the summary counts, the definition's nodes only; `health` also judges nodes a deploy
  // removed, for the groups they may still hold.
  const members = new Map(definition.nodes.map((n) => [n.id, health.get(n.id)!]));
  const nodes = {
    up: [...members.values()].filter((h) => h.up).map((h) => h.nodeId),
    down: [...members.values()].filter((h) => !h.up).map((h) => h.nodeId),
    drained: [...members.values()].filter((h) => h.drained === true).map((h) => h.nodeId),
  };
  const summarize = (
    records: Map<string, GroupRecord>,
    { lookedOnly, frozen, events = [], awsErrors = 0 }: SummaryOf,
  ): PassSummary => ({
    at: new Date(now).toISOString(),
    lookedOnly,
    leaseHeld: lease.held(),
    frozen,
    nodes,
    groups: definition.groups.map((g) => {
      const r = records.get(g.id) ?? emptyGroupRecord(g.id, now);
      const step = r.plan?.steps[r.plan.stepIndex];
      return {
        id: g.id,
        owner: r.owner,
        epoch: r.epoch,
        status: r.status,
        reason: r.statusReason,
        step: step ? describeStep(step) : null,
        waitsOn:
          step === undefined || r.status === "failed"
            ? null
            : step.kind === "await-online" || step.kind === "await-offline"
              ? "agent"
              : "controller",
      };
    }),
    events,
    awsErrors,
    gauges: clusterGauges(definition, members, records, { frozen }, now),
  });
  // Reporting only (the cluster log, EventBridge): stored, and told, after the groups, so it never delays a move.
  const judged = snapshot.judgedNodes === undefined ? null : nodeTransitions(snapshot.judgedNodes, members, now);
  const records = new Map(snapshot.groups);
  const events: ControllerEvent[] = [];
  const guard = evaluateGuard(snapshot.guard, members, now, definition.timing.leaseDurationMs);
  if (guard.changed) {
    if (!(await lease.ensure()))
      return summarize(records, { lookedOnly: true, frozen: snapshot.guard?.frozen ?? false });
    try {
      await store.writeGuard(guard.record, snapshot.guard?.version ?? 0);
    } catch (error) {
      deps.logger.warn("guard changed under this pass; leaving the groups to the next pass", { error });
      return summarize(records, { lookedOnly: true, frozen: guard.record.frozen });
    }
  }
  if (guard.event) events.push({ type: guard.event, silent: guard.silent, voters: guard.voters });

  const awsErrors = { count: 0 };
  let blocked = false;
  for (const group of definition.groups) {
    let record = records.get(group.id) ?? emptyGroupRecord(group.id, now);
    try {
      const ctx = {
        definition,
        group,
        record,
        health,
        frozen: guard.record.frozen,
        now,
        alarms: alarms.filter((a) => a.groupId === group.id),
      };
      const intent = snapshot.intents?.get(group.id);
      const pending = intent?.state === "pending" ? intent : undefined;
      // An operator's intent first (lib/core/controller/intents.ts); refused, the group is decided as usual.
      // One this pass's predecessor took (it died before settling it) is only settled.
      const already = pending !== undefined && record.lastIntent === pending.id;
      const operated = pending && !already ? decideIntent(ctx, pending) : null;
      const decision = operated?.kind === "write" ? { kind: "none" as const } : decideGroup(ctx);
      // A failed group is left to an operator, even with a plan in it: nothing to act on, no lease needed.
      const acting = record.plan !== null && record.status !== "failed";
      if ((decision.kind === "write" || acting || pending) && !(await lease.ensure())) {
        blocked = true; // another controller holds the lease: look only, for this group and the rest
        break;
      }
      if (operated?.kind === "write") {
        // The group is written first, naming the intent (`lastIntent`), then the intent is settled: a pass that
        // dies between the two leaves an intent the next pass only settles.
        const written = { ...operated.record, lastIntent: pending!.id };
        await store.writeGroup(written, record.version, operated.basedOn);
        record = written;
        events.push(...operated.events);
      }
      if (pending && (already || operated?.kind === "write")) {
        const epoch = record.plan?.operator?.intentId === pending.id ? record.plan.epoch : undefined;
        await store.settleIntent(group.id, pending.id, {
          state: "taken",
          reason: record.statusReason,
          ...(epoch === undefined ? {} : { epoch }),
        });
      } else if (pending && operated?.kind === "refused") {
        await store.settleIntent(group.id, pending.id, { state: "refused", reason: operated.reason });
        events.push(operated.event);
      }
      if (decision.kind === "write") {
        await store.writeGroup(decision.record, record.version, decision.basedOn);
        record = decision.record;
        events.push(decision.event);
      }
      if (record.plan !== null && record.status !== "failed")
        record = await runPlan(deps, {
          group,
          record,
          snapshot,
          health,
          frozen: guard.record.frozen,
          events,
          awsErrors,
        });
    } catch (error) {
      const conflict = error instanceof StateConflictError;
      deps.logger[conflict ? "warn" : "error"](
        conflict ? "group changed under this pass; the next pass takes it from there" : "group could not be processed",
        { groupId: group.id, error },
      );
    }
    records.set(group.id, record);
  }

  // The nodes' changes first: in the log, a node goes down before its groups move.
  const stored = blocked ? [] : await storeJudgements(deps, lease, judged, snapshot.judgedNodes?.version ?? 0);
  const told = [...stored, ...events];
  await report(deps, told);
  return summarize(records, {
    lookedOnly: blocked,
    frozen: guard.record.frozen,
    events: told,
    awsErrors: awsErrors.count,
  });
}

/**
 * Stores the nodes' new judgements (a conditional write on the version read; none when nothing changed) and returns
 * the changes to tell: none when the write failed. Like every write of a pass, it is made under the controller lease
 * (taken here when the groups did not need it); a pass that only looked (another controller holds the lease) is not
 * called: the holder tells the changes. After a conflict another pass stored (and told) them; after any other failure
 * (of the write or of taking the lease) the next pass, reading the old item, finds them again and tells them then
 * (logged here meanwhile), so a write that keeps failing tells nothing twice. Only a write that committed with its
 * answer lost loses them.
 */
async function storeJudgements(
  deps: ControllerDependencies,
  lease: LeaseKeeper,
  judged: NodeTransitions | null,
  expectedVersion: number,
): Promise<readonly NodeEvent[]> {
  if (judged?.record == null) return [];
  try {
    if (!(await lease.ensure())) return [];
    await deps.store.writeJudgedNodes(judged.record, expectedVersion);
    return judged.events;
  } catch (error) {
    const conflict = error instanceof StateConflictError;
    deps.logger.warn(
      conflict
        ? "node judgements changed under this pass; the pass that stored them tells the changes"
        : "node judgements not written; the next pass tries again",
      { error, changes: judged.events.map((e) => `${e.nodeId} ${e.type}`) },
    );
    return [];
  }
}

/** Appends the cluster log and tells people; neither failing stops the controller. */
async function report(deps: ControllerDependencies, events: readonly ControllerEvent[]): Promise<void> {
  const at = deps.clock.now();
  if (events.length === 0) return;
  const entries: ClusterLogEntry[] = events.map((e) => logEntry(e, at));
  try {
    await deps.store.appendLog(entries);
  } catch (error) {
    deps.logger.error("cluster log not written", { error, entries });
  }
  for (const event of events.filter(isNotable)) {
    const { subject, message } = notificationFor(deps.definition.cluster, event);
    try {
      await deps.notifier.publish(subject, message);
    } catch (error) {
      deps.logger.error("notification not sent", { error, subject });
    }
  }
}
