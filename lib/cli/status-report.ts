/**
 * `baton status` as data: the JSON contract of `baton status --json` (docs/operations.md "status --json"), built
 * from one snapshot of the table. Pure: the snapshot, the definition (when given) and the time come in.
 */
import type { ClusterDefinition } from "../core/definition/types.js";
import type { ClusterSnapshot, GroupRecord, NodeReport, Plan } from "../core/controller/records.js";
import type { NodeAdmin } from "../core/controller/intents.js";
import { takeoverGraceMs } from "../core/controller/timing.js";

/** `up`: heartbeating within its lease; `drained`: up, but its operator drained it; `leaving`: its last heartbeat said
 * it stopped everything and left (a planned stop); `down`: silent past lease + grace, or never heard; `unknown`: no
 * lease recorded (an agent of an earlier Baton) and no definition given (-c FILE) to read the lease from. */
export type NodeState = "up" | "down" | "leaving" | "drained" | "unknown";

export interface NodeStatus {
  readonly id: string;
  readonly state: NodeState;
  /** Whether the node is in the definition given with -c; null without one. */
  readonly inDefinition: boolean | null;
  /** Receipt time of its last accepted heartbeat (epoch ms, heartbeat function's clock); null: never heard. */
  readonly lastHeartbeatAt: number | null;
  /** Age of that heartbeat when the table was read (by this machine's clock); null: never heard. */
  readonly heartbeatAgeMs: number | null;
  /** The agent run that sent it, and when that run was first heard (epoch ms). */
  readonly bootId: string | null;
  readonly bootStartedAt: number | null;
  /** Until when (epoch ms) the node counts as up without another heartbeat: lease + grace; null: unknown. */
  readonly upUntil: number | null;
  /** The agent's version, from its heartbeats; null when it does not send one (an earlier agent). */
  readonly agentVersion: string | null;
  /** Drained by an operator (`baton drain`): its groups move off, nothing is placed or failed back onto it. */
  readonly drained: boolean;
  /**
   * The operator's standing word about the node (`baton drain` / `baton resume`): who said it and when, and whether
   * groups may fail back to it; null: none (never drained).
   */
  readonly admin: {
    readonly drained: boolean;
    readonly failback: boolean;
    readonly by: string;
    readonly at: number;
  } | null;
  /** Resource id → state, as last reported. */
  readonly resources: Readonly<Record<string, string>>;
}

export interface StepStatus {
  /** 1-based position of the running step, and the plan's number of steps. */
  readonly number: number;
  readonly of: number;
  /** The step's kind: fence, await-offline, detach-volume, attach-volume, await-online, associate-address, upsert-record, ... */
  readonly kind: string;
  readonly resourceId: string | null;
  readonly nodeId: string | null;
  readonly startedAt: number;
  readonly runningMs: number;
  /** Actions taken in the step so far (escalations such as a forced detach come after a few). */
  readonly attempts: number;
}

export interface MoveStatus {
  readonly group: string;
  /** place, failover or failback (and, with operator intents, the kinds they add). */
  readonly kind: string;
  readonly source: string | null;
  readonly target: string;
  readonly epoch: number;
  readonly reason: string;
  readonly startedAt: number;
  readonly runningMs: number;
  readonly step: StepStatus | null;
  /** The operator whose intent started it (`baton move`, `reset --to`, `drill`); null: the controller's own. */
  readonly by: string | null;
  /** A failover drill (`baton drill`). */
  readonly drill: boolean;
}

/** An operator's intent for a group (`baton move`, `reset`, `drill`), as the table holds it. */
export interface IntentStatus {
  readonly group: string;
  readonly id: string;
  /** move or reset. */
  readonly action: string;
  readonly target: string | null;
  readonly drill: boolean;
  readonly by: string;
  readonly at: number;
  /** pending (not yet taken by a pass), taken, or refused (see reason). */
  readonly state: string;
  readonly reason: string | null;
}

export interface GroupStatusReport {
  readonly id: string;
  /** offline, online, moving or failed. */
  readonly status: string;
  readonly owner: string | null;
  /** The fencing token: raised at every change of owner. */
  readonly epoch: number;
  /** When the status last changed (epoch ms, controller clock); null: never written. */
  readonly since: number | null;
  readonly reason: string;
  /** Failovers counted against the group's threshold. */
  readonly failovers: number;
  /** Nodes that may still run the group's resources though they do not own it (a failed plan's unfreed sources). */
  readonly unconfirmedSources: readonly string[];
  /** The running plan; null: none. */
  readonly move: Omit<MoveStatus, "group"> | null;
}

export interface GuardStatus {
  /** Automatic failover suspended: more than half of the voters fell silent at once. */
  readonly frozen: boolean;
  readonly since: number | null;
  readonly voters: number;
  /** Voters counted out after failing alone. */
  readonly countedOut: readonly string[];
}

export interface StatusReport {
  readonly cluster: string | null;
  readonly table: string;
  /** When the table was read, epoch ms: this machine's clock, corrected by `clockSkewMs`. */
  readonly readAt: number;
  /**
   * AWS's clock minus this machine's, as DynamoDB's answer dated it, when more than 2 s (then `readAt` and the ages
   * are corrected by it); 0 otherwise.
   */
  readonly clockSkewMs: number;
  readonly nodes: readonly NodeStatus[];
  readonly groups: readonly GroupStatusReport[];
  readonly guard: GuardStatus;
  readonly moves: readonly MoveStatus[];
  /** Operator intents in the table (pending ones are carried out by the next controller pass). */
  readonly intents: readonly IntentStatus[];
  /** The controller lease: which invocation may act, and whether it still holds it. */
  readonly controller: { readonly holder: string; readonly expiresAt: number; readonly active: boolean } | null;
}

export function statusReport(
  snapshot: ClusterSnapshot,
  options: {
    cluster: string | null;
    table: string;
    now: number;
    definition: ClusterDefinition | null;
    clockSkewMs?: number;
  },
): StatusReport {
  const { now, definition } = options;
  const defined = definition?.nodes.map((n) => n.id) ?? [];
  const nodeIds = [...new Set([...defined, ...[...snapshot.liveness.keys()].sort()])];
  const { admin, intents } = snapshot;
  const nodes = nodeIds.map((id) => nodeStatus(id, snapshot.liveness.get(id), admin?.get(id), definition, now));
  const groupIds = [
    ...new Set([...(definition?.groups.map((g) => g.id) ?? []), ...[...snapshot.groups.keys()].sort()]),
  ];
  const groups = groupIds.map((id) => groupStatus(id, snapshot.groups.get(id), now));
  const moves = groups.flatMap((g) => (g.move === null ? [] : [{ group: g.id, ...g.move }]));
  const guard = snapshot.guard;
  return {
    cluster: options.cluster,
    table: options.table,
    readAt: now,
    clockSkewMs: options.clockSkewMs ?? 0,
    nodes,
    groups,
    guard: {
      frozen: guard?.frozen ?? false,
      since: guard && guard.since > 0 ? guard.since : null,
      voters: guard ? Object.keys(guard.voters).length : 0,
      countedOut: guard
        ? Object.entries(guard.voters)
            .filter(([, vote]) => vote.removedAt !== null)
            .map(([id]) => id)
            .sort()
        : [],
    },
    moves,
    intents: [...(intents?.entries() ?? [])]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([group, intent]) => ({
        group,
        id: intent.id,
        action: intent.action,
        target: intent.target,
        drill: intent.drill,
        by: intent.by,
        at: intent.at,
        state: intent.state,
        reason: intent.reason ?? null,
      })),
    controller: snapshot.lease
      ? { holder: snapshot.lease.holder, expiresAt: snapshot.lease.expiresAt, active: snapshot.lease.expiresAt > now }
      : null,
  };
}

function nodeStatus(
  id: string,
  report: NodeReport | undefined,
  admin: NodeAdmin | undefined,
  definition: ClusterDefinition | null,
  now: number,
): NodeStatus {
  const drained = admin?.drained === true;
  const inDefinition = definition === null ? null : definition.nodes.some((n) => n.id === id);
  const upUntil = report === undefined ? null : leaseEnd(report, definition);
  let state: NodeState;
  if (report === undefined) state = "down";
  else if (report.leaving) state = "leaving";
  else if (inDefinition === false)
    state = "down"; // removed from the cluster: its heartbeats are refused
  else if (upUntil === null) state = "unknown";
  else if (now > upUntil) state = "down";
  else state = drained ? "drained" : "up";
  return {
    id,
    state,
    inDefinition,
    lastHeartbeatAt: report?.receivedAt ?? null,
    heartbeatAgeMs: report === undefined ? null : now - report.receivedAt,
    bootId: report?.bootId || null,
    bootStartedAt: report?.bootStartedAt ?? null,
    upUntil,
    agentVersion: report?.agentVersion ?? null,
    drained,
    admin: admin === undefined ? null : { drained, failback: admin.failback, by: admin.by, at: admin.at },
    resources: report ? { ...report.resources } : {},
  };
}

/**
 * Until when the node is up without another heartbeat, as the controller judges it (lib/core/controller/detection.ts):
 * the later of its last heartbeat plus the lease and the recorded end of the longest lease it was granted, plus the
 * grace of that lease. The lease is the longer of the definition's (when given) and the one recorded with the node.
 */
function leaseEnd(report: NodeReport, definition: ClusterDefinition | null): number | null {
  const leaseMs = Math.max(definition?.timing.leaseDurationMs ?? 0, report.leaseMs ?? 0);
  if (leaseMs === 0 && report.leaseUntil === undefined) return null;
  const until = Math.max(report.receivedAt + leaseMs, report.leaseUntil ?? -Infinity);
  const timing = { heartbeatIntervalMs: 0, controllerTickMs: 0, ...definition?.timing, leaseDurationMs: leaseMs };
  return until + takeoverGraceMs(timing);
}

function groupStatus(id: string, record: GroupRecord | undefined, now: number): GroupStatusReport {
  if (record === undefined) {
    return {
      id,
      status: "offline",
      owner: null,
      epoch: 0,
      since: null,
      reason: "not placed yet: the controller has not written this group",
      failovers: 0,
      unconfirmedSources: [],
      move: null,
    };
  }
  return {
    id,
    status: record.status,
    owner: record.owner,
    epoch: record.epoch,
    since: record.since > 0 ? record.since : null,
    reason: record.statusReason,
    failovers: record.failovers.length,
    unconfirmedSources: [...(record.unconfirmedSources ?? [])],
    move: record.plan === null ? null : moveStatus(record.plan, now),
  };
}

function moveStatus(plan: Plan, now: number): Omit<MoveStatus, "group"> {
  const operator = plan.operator;
  const step = plan.steps[plan.stepIndex] as (Record<string, unknown> & { kind: string }) | undefined;
  return {
    kind: plan.kind,
    source: plan.source,
    target: plan.target,
    epoch: plan.epoch,
    reason: plan.reason,
    startedAt: plan.startedAt,
    runningMs: now - plan.startedAt,
    step:
      step === undefined
        ? null
        : {
            number: plan.stepIndex + 1,
            of: plan.steps.length,
            kind: step.kind,
            resourceId: typeof step.resourceId === "string" ? step.resourceId : null,
            nodeId: typeof step.nodeId === "string" ? step.nodeId : null,
            startedAt: plan.stepStartedAt,
            runningMs: now - plan.stepStartedAt,
            attempts: plan.attempts,
          },
    by: operator?.by ?? null,
    drill: operator?.drill === true,
  };
}
