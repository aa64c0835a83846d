// Over 300 lines: the agent's state and every transition of it (answers accepted, actions settled): one state machine,
// read as a whole.
/**
 * What the agent knows and has under way, and how answers and finished actions change it. Pure:
 * times are monotonic milliseconds passed in. The decisions are in `supervisor.ts`.
 */
import type { GroupId, NodeId, ResourceId } from "../definition/types.js";
import { formatDuration } from "../duration.js";
import { heartbeatIntervalOf, renewLease, type Lease } from "./lease.js";
import type { HeartbeatAnswer } from "../heartbeat/answer.js";
import type { AnswerContext } from "./answer-check.js";
import type { AgentResourceSpec } from "./spec.js";

/**
 * Where a resource is, as far as the agent knows. `unknown`: it may be running and nothing is under
 * way (first seen at start, or a start or stop failed); the agent stops or (re)starts it, both
 * idempotent.
 */
export type Phase = "unknown" | "offline" | "starting" | "online" | "stopping";

/** A start or stop under way; only the result of the current one counts. */
export interface Operation {
  readonly token: number;
  readonly kind: "start" | "stop";
  /** A stop for want of a lease, within `stopTimeoutMs`: nothing overrides it. */
  readonly fence: boolean;
  readonly since: number;
}

/** Why a resource is reported failed; cleared once the controller no longer wants it here under that epoch. */
export interface Failure {
  readonly at: number;
  readonly epoch: number;
  readonly reason: string;
  /** Set when a stop failed: the resource may still run, and the stop is tried again from then on. */
  readonly retryAt?: number;
}

export interface ResourceRuntime {
  readonly id: ResourceId;
  readonly groupId: GroupId;
  /** The spec it was last started with (stops use it, so a redeploy cannot make the agent stop the wrong thing). */
  readonly spec: AgentResourceSpec;
  readonly phase: Phase;
  readonly op?: Operation;
  /**
   * Tokens of starts and stops that a stop was issued over and that have not ended yet in their
   * driver. The loop aborts each one and begins that stop only once it has ended, so the stop undoes
   * whatever it left; until then the resource is never reported offline.
   */
  readonly aborted: readonly number[];
  readonly failure?: Failure;
  /** A check failed and a restart is allowed: stop it (after its dependents), then start it again. */
  readonly restartPending: boolean;
  /** When local restarts happened, within the restart period. */
  readonly restarts: readonly number[];
  /** The check under way, if any. */
  readonly checkToken?: number;
  readonly nextCheckAt: number;
}

/** Why a whole group is being stopped regardless of what the controller asks. */
export type UrgentMode = "fence" | "supersede" | "leave";

export interface GroupRuntime {
  readonly id: GroupId;
  /** The highest epoch any valid answer showed; -1 before any. */
  readonly maxEpoch: number;
  /** The group may start again only under an epoch above this (set when it is self-fenced or superseded). */
  readonly blockedThrough: number;
  /** The epoch the group's resources were started under, while any may be up. */
  readonly runEpoch?: number;
  /** The resources in start order: the last answer's, then any it dropped that may still be up. */
  readonly specs: readonly AgentResourceSpec[];
  /** The urgent stop in progress, if any (for the log). */
  readonly mode?: UrgentMode;
  /** Whether the urgent stop in progress has finished. */
  readonly modeDone: boolean;
  /** The epoch of the last answer obeyed for the group (the heartbeat's `epochs`); undefined before any. */
  readonly obeyed?: number;
}

export interface AgentState {
  readonly nodeId: NodeId;
  /** The last valid answer. */
  readonly answer?: HeartbeatAnswer;
  readonly lease?: Lease;
  readonly groups: ReadonlyMap<GroupId, GroupRuntime>;
  readonly resources: ReadonlyMap<ResourceId, ResourceRuntime>;
  /** Set when the agent was asked to leave (SIGTERM). */
  readonly leavingSince?: number;
  readonly nextToken: number;
}

/** A line for the operator's log. */
export interface Notice {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** How a start, stop or check ended. */
export interface ActionResult {
  readonly kind: "start" | "stop" | "check";
  readonly resourceId: ResourceId;
  readonly token: number;
  readonly ok: boolean;
  /** Why it failed, for the log. */
  readonly error?: string;
}

export function initialState(nodeId: NodeId): AgentState {
  return { nodeId, groups: new Map(), resources: new Map(), nextToken: 1 };
}

/** What the next answer must agree with. */
export function answerContext(state: AgentState, bootId: string, seq: number): AnswerContext {
  return {
    nodeId: state.nodeId,
    bootId,
    seq,
    cluster: state.answer?.cluster,
    epochs: new Map([...state.groups.values()].map((group) => [group.id, group.maxEpoch])),
  };
}

/** Nothing under way and known down: the agent can forget it. */
function isClean(resource: ResourceRuntime | undefined): boolean {
  return (
    resource === undefined ||
    (resource.phase === "offline" && resource.op === undefined && resource.aborted.length === 0)
  );
}

function newResource(spec: AgentResourceSpec, groupId: GroupId): ResourceRuntime {
  return {
    id: spec.id,
    groupId,
    spec,
    phase: "unknown",
    aborted: [],
    restartPending: false,
    restarts: [],
    nextCheckAt: -Infinity,
  };
}

/**
 * The state after a valid answer to the heartbeat sent at `sentAt`: the lease renewed from that send,
 * the answer as the new view, resources seen for the first time as `unknown` (they may be running
 * from an earlier run of the agent), and resources the answer no longer lists kept until they are down.
 */
export function acceptAnswer(state: AgentState, answer: HeartbeatAnswer, sentAt: number): AgentState {
  const groups = new Map<GroupId, GroupRuntime>();
  const resources = new Map(state.resources);
  const listed = new Set(answer.groups.flatMap((view) => view.agentResources.map((spec) => spec.id)));
  const leftovers = (specs: readonly AgentResourceSpec[]) =>
    specs.filter((spec) => !listed.has(spec.id) && !isClean(resources.get(spec.id)));

  for (const view of answer.groups) {
    const prior = state.groups.get(view.id);
    groups.set(view.id, {
      id: view.id,
      maxEpoch: Math.max(prior?.maxEpoch ?? -1, view.epoch),
      blockedThrough: prior?.blockedThrough ?? -1,
      runEpoch: prior?.runEpoch,
      specs: [...view.agentResources, ...leftovers(prior?.specs ?? [])],
      mode: prior?.mode,
      modeDone: prior?.modeDone ?? false,
      obeyed: prior?.obeyed,
    });
    for (const spec of view.agentResources) {
      const known = resources.get(spec.id);
      if (known === undefined) resources.set(spec.id, newResource(spec, view.id));
      else if (isClean(known) && known.failure === undefined)
        resources.set(spec.id, { ...known, spec, groupId: view.id });
    }
  }
  for (const prior of state.groups.values()) {
    if (groups.has(prior.id)) continue;
    // A group the answer no longer lists: remembered (with its epochs) and stopped if anything is up.
    groups.set(prior.id, { ...prior, specs: leftovers(prior.specs) });
  }
  for (const [id, resource] of resources) {
    if (!listed.has(id) && isClean(resource)) resources.delete(id);
  }
  return { ...state, answer, lease: renewLease(state.lease, sentAt, answer), groups, resources };
}

/** SIGTERM: from now on every group is stopped, and the agent leaves once they are. */
export function beginLeaving(state: AgentState, now: number): AgentState {
  return state.leavingSince === undefined ? { ...state, leavingSince: now } : state;
}

function epochOf(state: AgentState, groupId: GroupId): number {
  return state.answer?.groups.find((group) => group.id === groupId)?.epoch ?? state.groups.get(groupId)?.maxEpoch ?? -1;
}

/**
 * How often an online resource is checked: every 5 s, as Windows Server Failover Clustering's
 * LooksAlive check, or every heartbeat interval when that is longer. Each check runs a program, and a
 * check every second per resource would cost the node more than the heartbeats themselves.
 */
export const CHECK_INTERVAL_MS = 5_000;

export function checkIntervalMs(heartbeatIntervalMs: number): number {
  return Math.max(CHECK_INTERVAL_MS, heartbeatIntervalMs);
}

/** The state after a start, stop or check ended, and what to log about it. */
export function settle(
  state: AgentState,
  result: ActionResult,
  now: number,
): { readonly state: AgentState; readonly notices: readonly Notice[] } {
  const resource = state.resources.get(result.resourceId);
  if (resource === undefined) return { state, notices: [] };
  const changed = settleResource(
    resource,
    result,
    now,
    heartbeatIntervalOf(state.lease),
    epochOf(state, resource.groupId),
  );
  if (changed === undefined) return { state, notices: [] };
  const resources = new Map(state.resources).set(resource.id, changed.resource);
  return { state: { ...state, resources }, notices: changed.notices };
}

function settleResource(
  r: ResourceRuntime,
  result: ActionResult,
  now: number,
  interval: number,
  epoch: number,
  checkEvery: number = checkIntervalMs(interval),
): { resource: ResourceRuntime; notices: Notice[] } | undefined {
  const about = { resource: r.id, group: r.groupId };
  switch (result.kind) {
    case "check": {
      if (r.checkToken !== result.token) return undefined;
      const done: ResourceRuntime = { ...r, checkToken: undefined, nextCheckAt: now + checkEvery };
      if (result.ok || r.phase !== "online" || r.op !== undefined || r.failure !== undefined || r.restartPending) {
        return { resource: done, notices: [] };
      }
      const { threshold, periodMs } = r.spec.restart;
      const recent = r.restarts.filter((at) => now - at < periodMs);
      if (recent.length < threshold) {
        return {
          resource: { ...done, restartPending: true, restarts: [...recent, now] },
          notices: [
            {
              level: "warn",
              message: `check of ${r.id} failed: restarting it (restart ${recent.length + 1} of ${threshold} allowed within ${formatDuration(periodMs)})`,
              attributes: about,
            },
          ],
        };
      }
      const reason = `its check failed again after ${recent.length} restarts within ${formatDuration(periodMs)}`;
      return {
        resource: { ...done, restarts: recent, failure: { at: now, epoch, reason } },
        notices: [
          {
            level: "error",
            message: `${r.id} failed: ${reason}; stopping it and reporting it failed`,
            attributes: about,
          },
        ],
      };
    }
    case "start":
    case "stop":
      if (r.aborted.includes(result.token)) {
        // An operation a stop was issued over has ended: that stop begins only now and undoes what it did.
        return { resource: { ...r, aborted: r.aborted.filter((token) => token !== result.token) }, notices: [] };
      }
      return result.kind === "start"
        ? settleStart(r, result, now, epoch, checkEvery)
        : settleStop(r, result, now, interval, epoch);
  }
}

function settleStart(
  r: ResourceRuntime,
  result: ActionResult,
  now: number,
  epoch: number,
  checkEvery: number,
): { resource: ResourceRuntime; notices: Notice[] } | undefined {
  // Only the result of the current start counts.
  if (r.op?.token !== result.token) return undefined;
  const about = { resource: r.id, group: r.groupId };
  const tookMs = now - r.op.since;
  if (result.ok) {
    return {
      resource: { ...r, op: undefined, phase: "online", nextCheckAt: now + checkEvery },
      notices: [{ level: "info", message: `${r.id} online`, attributes: { ...about, tookMs } }],
    };
  }
  const error = result.error ?? "no reason given";
  return {
    resource: { ...r, op: undefined, phase: "unknown", failure: { at: now, epoch, reason: `start failed: ${error}` } },
    notices: [
      {
        level: "error",
        message: `${r.id} failed to start: ${error}; stopping what may have started and reporting it failed`,
        attributes: { ...about, tookMs },
      },
    ],
  };
}

function settleStop(
  r: ResourceRuntime,
  result: ActionResult,
  now: number,
  interval: number,
  epoch: number,
): { resource: ResourceRuntime; notices: Notice[] } | undefined {
  if (r.op?.token !== result.token) return undefined;
  const about = { resource: r.id, group: r.groupId };
  const tookMs = now - r.op.since;
  const ended = { ...r, op: undefined, restartPending: false };
  if (result.ok) {
    return {
      // Offline only once nothing else is under way on it (the loop begins a stop only after what it aborted ended).
      resource: { ...ended, phase: r.aborted.length === 0 ? "offline" : "unknown" },
      notices: [{ level: "info", message: `${r.id} offline`, attributes: { ...about, tookMs } }],
    };
  }
  const error = result.error ?? "no reason given";
  return {
    resource: {
      ...ended,
      phase: "unknown",
      failure: { at: now, epoch, reason: `stop failed: ${error}`, retryAt: now + interval },
    },
    notices: [
      {
        level: "error",
        message: `${r.id} did not stop: ${error}; reporting it failed and trying again in ${formatDuration(interval)}`,
        attributes: { ...about, tookMs },
      },
    ],
  };
}
