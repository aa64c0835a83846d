// Over 300 lines: one pure decision function whose per-group rules (fence, leave, supersede, ...) apply in a precedence
// order written at the top; the rules share their helpers.
/**
 * The agent's decisions (docs/agent.md), as one pure function of what it knows and the time: which
 * resources to start, stop or check now, what to report in the next heartbeat, and when to decide
 * again if nothing happens first. The loop (`lib/agent/agent.ts`) carries the actions out and feeds
 * their results back through `settle`.
 *
 * Per group, in order of precedence:
 * - fence: the lease is running out (`selfFenceStartMs`): every resource stops, in reverse order,
 *   each within its `stopTimeoutMs`, aborting any start or stop under way;
 * - leave: the agent is leaving (SIGTERM): every resource stops, in reverse order;
 * - supersede: the answer shows another owner, or a higher epoch than the group was started under:
 *   every resource stops at once, in reverse order, aborting any start under way;
 * - otherwise, one start or stop at a time: stop (after their dependents) the resources the
 *   controller does not want, that failed, or that must restart; then start the wanted ones in order,
 *   each once those it depends on are online; check the online ones every `checkIntervalMs`.
 *
 * A stop issued over a start or stop under way names it in `aborts`: the loop aborts it (its driver
 * kills what it runs) and begins the stop only once it has ended, all within the stop's timeout. A
 * resource is reported `offline` only when no start or stop of it is under way in its driver.
 */
import type { ResourceState } from "../heartbeat/message.js";
import type { GroupId, ResourceId } from "../definition/types.js";
import { dictionary, ownValue } from "../dictionary.js";
import { groupFenceStartAt, isGroupFenced, selfFenceDeadlineAt } from "./lease.js";
import { modeChangeNotices, modeFinishedNotice, stopReason, URGENT_STOP_REASONS } from "./log-lines.js";
import type { GroupAnswer } from "../heartbeat/answer.js";
import type { AgentResourceSpec } from "./spec.js";
import type { AgentState, GroupRuntime, Notice, ResourceRuntime, UrgentMode } from "./state.js";

/** Longest a health check may take (or the resource's pendingTimeout, when shorter). */
export const CHECK_TIMEOUT_MS = 10_000;

interface ActionBase {
  readonly resourceId: ResourceId;
  readonly groupId: GroupId;
  readonly token: number;
  readonly spec: AgentResourceSpec;
  readonly timeoutMs: number;
}

export type Action =
  | (ActionBase & { readonly kind: "start" })
  | (ActionBase & {
      readonly kind: "stop";
      readonly fence: boolean;
      /**
       * Starts and stops of this resource still under way: the loop aborts them and begins this stop
       * only once they have ended (failing it if they have not within `timeoutMs`, which covers both).
       */
      readonly aborts: readonly number[];
    })
  | (ActionBase & { readonly kind: "check" });

export interface AgentDecision {
  readonly state: AgentState;
  readonly actions: readonly Action[];
  readonly notices: readonly Notice[];
  /** The state of every agent resource of every group in the last answer, for the next heartbeat. */
  readonly report: Readonly<Record<ResourceId, ResourceState>>;
  /**
   * Per group, the epoch of the last answer the agent obeyed (the heartbeat's `epochs`): the epoch its
   * resources run or are stopping under while any is up or under way; once all are down, the epoch of
   * the answer it now follows (a move to another node is obeyed once every stop has ended). A group
   * not obeyed yet (its leftovers still stopping at the first answer) is absent.
   */
  readonly epochs: Readonly<Record<GroupId, number>>;
  /** When to decide again if nothing else happens first (a lease deadline, a check, a retry). */
  readonly wakeAt?: number;
  /** Set once the agent is leaving and nothing is up or under way any more. */
  readonly left?: { readonly allOffline: boolean };
  /**
   * Resources that may still run (not known offline, or with a start or stop under way) after the
   * self-fence deadline: the lease may have ended with them running. The loop stops feeding the
   * watchdog then, so the machine is reset. Empty otherwise.
   */
  readonly overdue: readonly ResourceId[];
}

export function decide(state: AgentState, now: number): AgentDecision {
  const decision = new DecisionBuilder(state, now);
  for (const group of state.groups.values()) decision.group(group);
  return decision.finish();
}

class DecisionBuilder {
  private readonly resources: Map<ResourceId, ResourceRuntime>;
  private readonly groups = new Map<GroupId, GroupRuntime>();
  private readonly actions: Action[] = [];
  private readonly notices: Notice[] = [];
  private readonly report = dictionary<ResourceState>();
  private readonly epochs = dictionary<number>();
  private nextToken: number;
  private wakeAt = Infinity;

  constructor(
    private readonly state: AgentState,
    private readonly now: number,
  ) {
    this.resources = new Map(state.resources);
    this.nextToken = state.nextToken;
  }

  group(runtime: GroupRuntime): void {
    const { state, now } = this;
    const view = state.answer?.groups.find((group) => group.id === runtime.id);
    const owned = view?.owner === state.nodeId;
    const epoch = view?.epoch ?? runtime.maxEpoch;
    const leaving = state.leavingSince !== undefined;
    // A resource stops with the spec it was started with: after a redeploy that lowered its
    // stopTimeout, its budget is still the old, longer one (the larger of the two).
    const stopTimeouts = runtime.specs.map((spec) =>
      Math.max(spec.stopTimeoutMs, this.get(spec.id)?.spec.stopTimeoutMs ?? 0),
    );
    const fenced = isGroupFenced(state.lease, stopTimeouts, now);

    for (const spec of runtime.specs) {
      const r = this.get(spec.id);
      if (r?.failure === undefined || r.phase !== "offline" || r.op !== undefined) continue;
      if (desiredOf(view, spec.id) !== "online" || !owned || epoch > r.failure.epoch) {
        this.resources.set(r.id, { ...r, failure: undefined });
      }
    }
    const members = runtime.specs.map((spec) => this.get(spec.id)).filter((r) => r !== undefined);
    const anyUp = members.some((r) => r.phase !== "offline" || r.aborted.length > 0);

    let { blockedThrough, runEpoch } = runtime;
    let superseded = runEpoch !== undefined && (!owned || epoch > runEpoch);
    // Stopped for want of a lease: nothing restarts under any epoch seen so far.
    if (fenced && anyUp) blockedThrough = Math.max(blockedThrough, runtime.maxEpoch);
    const urgent: UrgentMode | undefined = fenced ? "fence" : leaving ? "leave" : superseded ? "supersede" : undefined;
    let mode = urgent !== undefined && (anyUp || runtime.mode === urgent) ? urgent : undefined;
    let modeDone = mode === runtime.mode ? runtime.modeDone : false;
    if (mode !== runtime.mode) {
      this.notices.push(
        ...modeChangeNotices({
          groupId: runtime.id,
          from: runtime.mode,
          to: mode,
          view,
          nodeId: state.nodeId,
          blockedThrough,
          runEpoch,
          lease: state.lease,
          now,
        }),
      );
    }
    if (mode !== undefined && !modeDone && !anyUp) {
      modeDone = true;
      this.notices.push(modeFinishedNotice(runtime.id, mode, state.lease, now));
    }
    if (superseded && !anyUp && members.every((r) => r.op === undefined)) {
      // A superseded group is down: it may start again, under a higher epoch only.
      blockedThrough = Math.max(blockedThrough, runEpoch ?? -1);
      runEpoch = undefined;
      superseded = false;
      if (mode === "supersede") mode = undefined;
    }

    const runnable = !fenced && !leaving && owned && epoch > blockedThrough && !superseded;
    const wanted = new Set<ResourceId>();
    for (const spec of runtime.specs) {
      const r = this.get(spec.id);
      if (
        runnable &&
        r !== undefined &&
        desiredOf(view, spec.id) === "online" &&
        r.failure === undefined &&
        !r.restartPending &&
        spec.dependsOn.every((dependency) => wanted.has(dependency))
      ) {
        wanted.add(spec.id);
      }
    }

    if (mode !== undefined) this.stopAll(members, mode);
    else if (this.stopUnwanted(members, wanted) || this.startWanted(members, wanted, epoch)) {
      if (runEpoch === undefined && this.actions.some((a) => a.kind === "start" && a.groupId === runtime.id)) {
        runEpoch = epoch;
      }
    }
    if (mode === undefined) this.checkOnline(members, wanted);
    // On its own timer: when the API is unreachable, no answer comes to trigger the stop.
    if (!fenced) this.wake(groupFenceStartAt(state.lease, stopTimeouts));

    // Obeyed: the epoch its resources run (or stop) under while any is up or under way; once all are
    // down, the answer it follows. While busy with no run epoch (stopping what an earlier run of the
    // agent may have left), it has not obeyed the answer yet: the previous value stands.
    const busy = runtime.specs.some((spec) => {
      const r = this.get(spec.id);
      return r !== undefined && (r.phase !== "offline" || r.op !== undefined || r.aborted.length > 0);
    });
    const obeyed = busy ? (runEpoch ?? runtime.obeyed) : (view?.epoch ?? runtime.maxEpoch);
    if (obeyed !== undefined) this.epochs[runtime.id] = obeyed;
    this.groups.set(runtime.id, { ...runtime, blockedThrough, runEpoch, mode, modeDone, obeyed });
    if (view !== undefined) this.reportGroup(view, wanted, owned && epoch <= blockedThrough);
  }

  /** Urgent: every resource down, last first, one at a time; a resource whose stop failed does not hold up the others. */
  private stopAll(members: readonly ResourceRuntime[], mode: UrgentMode): void {
    for (let i = members.length - 1; i >= 0; i--) {
      const r = this.get(members[i]?.id);
      if (r === undefined || r.phase === "offline") continue;
      if (r.op?.kind === "stop" && (r.op.fence || mode !== "fence")) return;
      const retryAt = r.phase === "unknown" ? r.failure?.retryAt : undefined;
      if (retryAt !== undefined) {
        // Leaving tries each stop once; otherwise a failed stop is tried again an interval later.
        const since = this.state.leavingSince;
        if (mode === "leave" && since !== undefined && (r.failure?.at ?? -Infinity) >= since) continue;
        if (this.now < retryAt) {
          this.wake(retryAt);
          continue;
        }
      }
      this.issueStop(r, mode === "fence", URGENT_STOP_REASONS[mode]);
      return;
    }
  }

  /** Normal: the last unwanted resource that is up, once nothing in the group is under way. */
  private stopUnwanted(members: readonly ResourceRuntime[], wanted: ReadonlySet<ResourceId>): boolean {
    if (members.some((r) => r.op !== undefined)) return true;
    for (let i = members.length - 1; i >= 0; i--) {
      const r = members[i];
      if (r === undefined || wanted.has(r.id) || r.phase === "offline") continue;
      const retryAt = r.phase === "unknown" ? r.failure?.retryAt : undefined;
      if (retryAt !== undefined && this.now < retryAt) {
        // Its stop failed: try again later, and keep what it depends on up meanwhile.
        this.wake(retryAt);
        return true;
      }
      this.issueStop(r, false, stopReason(this.state, r));
      return true;
    }
    return false;
  }

  /** Normal: the first wanted resource that is not online, once those it depends on are. */
  private startWanted(members: readonly ResourceRuntime[], wanted: ReadonlySet<ResourceId>, epoch: number): boolean {
    for (const r of members) {
      if (!wanted.has(r.id) || r.phase === "online") continue;
      if (r.spec.dependsOn.some((dependency) => this.get(dependency)?.phase !== "online")) return false;
      const token = this.token();
      this.resources.set(r.id, {
        ...r,
        phase: "starting",
        op: { token, kind: "start", fence: false, since: this.now },
        checkToken: undefined,
      });
      this.actions.push({ ...this.base(r, token, r.spec.pendingTimeoutMs), kind: "start" });
      this.notices.push({
        level: "info",
        message: `starting ${r.id} (group ${r.groupId}, epoch ${epoch})`,
        attributes: { resource: r.id, group: r.groupId, epoch },
      });
      return true;
    }
    return false;
  }

  private checkOnline(members: readonly ResourceRuntime[], wanted: ReadonlySet<ResourceId>): void {
    for (const member of members) {
      const r = this.get(member.id);
      if (r === undefined || !wanted.has(r.id) || r.phase !== "online" || r.op !== undefined) continue;
      if (r.checkToken !== undefined) continue;
      if (this.now < r.nextCheckAt) {
        this.wake(r.nextCheckAt);
        continue;
      }
      const token = this.token();
      this.resources.set(r.id, { ...r, checkToken: token });
      this.actions.push({
        ...this.base(r, token, Math.min(r.spec.pendingTimeoutMs, CHECK_TIMEOUT_MS)),
        kind: "check",
      });
    }
  }

  private issueStop(r: ResourceRuntime, fence: boolean, reason: string): void {
    const token = this.token();
    const aborts = r.op === undefined ? r.aborted : [...r.aborted, r.op.token];
    this.resources.set(r.id, {
      ...r,
      phase: "stopping",
      op: { token, kind: "stop", fence, since: this.now },
      aborted: aborts,
      checkToken: undefined,
    });
    const timeoutMs = fence ? r.spec.stopTimeoutMs : r.spec.pendingTimeoutMs;
    this.actions.push({ ...this.base(r, token, timeoutMs), kind: "stop", fence, aborts });
    this.notices.push({
      level: fence ? "warn" : "info",
      message: `stopping ${r.id} (group ${r.groupId}): ${reason}`,
      attributes: { resource: r.id, group: r.groupId, timeoutMs },
    });
  }

  private reportGroup(view: GroupAnswer, wanted: ReadonlySet<ResourceId>, blocked: boolean): void {
    for (const spec of view.agentResources) {
      const r = this.get(spec.id);
      if (r === undefined) {
        this.report[spec.id] = "offline";
      } else if (r.phase === "offline" && blocked) {
        // Self-fenced under this epoch, the stop verified: it will not run here until the controller
        // assigns the group again under a higher epoch. The controller may take it as a confirmed stop.
        this.report[spec.id] = "fenced";
      } else if (r.failure !== undefined) {
        this.report[spec.id] = "failed";
      } else if (r.phase === "unknown") {
        this.report[spec.id] = wanted.has(r.id) ? "starting" : "stopping";
      } else {
        this.report[spec.id] = r.phase;
      }
    }
  }

  finish(): AgentDecision {
    const state: AgentState = {
      ...this.state,
      groups: this.groups,
      resources: this.resources,
      nextToken: this.nextToken,
    };
    return {
      state,
      actions: this.actions,
      notices: this.notices,
      report: this.report,
      epochs: this.epochs,
      wakeAt: Number.isFinite(this.wakeAt) ? this.wakeAt : undefined,
      left: this.left(state),
      overdue: this.overdue(state),
    };
  }

  private overdue(state: AgentState): ResourceId[] {
    if (this.now <= selfFenceDeadlineAt(state.lease)) return [];
    return [...state.resources.values()]
      .filter((r) => r.phase !== "offline" || r.op !== undefined || r.aborted.length > 0)
      .map((r) => r.id);
  }

  private left(state: AgentState): AgentDecision["left"] {
    const since = state.leavingSince;
    if (since === undefined) return undefined;
    const all = [...state.resources.values()];
    const settled = all.every(
      (r) =>
        r.op === undefined &&
        r.aborted.length === 0 &&
        (r.phase === "offline" || (r.phase === "unknown" && r.failure?.retryAt !== undefined && r.failure.at >= since)),
    );
    return settled ? { allOffline: all.every((r) => r.phase === "offline") } : undefined;
  }

  private get(id: ResourceId | undefined): ResourceRuntime | undefined {
    return id === undefined ? undefined : this.resources.get(id);
  }

  private base(r: ResourceRuntime, token: number, timeoutMs: number): ActionBase {
    return { resourceId: r.id, groupId: r.groupId, token, spec: r.spec, timeoutMs };
  }

  private token(): number {
    return this.nextToken++;
  }

  private wake(at: number): void {
    if (at > this.now && at < this.wakeAt) this.wakeAt = at;
  }
}

/** What the answer wants of a resource; undefined when it does not name it. */
function desiredOf(view: GroupAnswer | undefined, resourceId: ResourceId): "online" | "offline" | undefined {
  return view === undefined ? undefined : ownValue(view.resources, resourceId);
}
