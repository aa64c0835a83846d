// Over 300 lines: the loop's two timers, the heartbeat in flight and the running actions share one mutable state and
// are read together (a signal, an answer and a settled action each change all three); the heartbeat sender (send,
// answer handling) is the part that could move out, behind an interface over that state.
/**
 * The node agent's loop (docs/agent.md): heartbeats on one timer, the supervisor's decisions on
 * another, resource actions in between, none waiting for the others. The decisions are pure
 * (`lib/core/agent/`); this file only carries them out through the ports and feeds the results back.
 *
 * - One heartbeat in flight at a time, one every heartbeat interval (2 s until the first answer), each
 *   with a request timeout of 80% of the interval: the transport is made again when the interval changes.
 *   A resource that settles in a new state (a run of starts all up, a stop done) is reported at once, at most
 *   once early per interval (`earlyHeartbeatDue`); the next heartbeat comes an interval after that one.
 * - The supervisor runs after every answer, every finished action, every heartbeat, and on its own
 *   timer at the next deadline it names (a group's self-fence start, a check, a retry), so a node cut
 *   off from the API stops its groups in time although no answer ever arrives.
 * - Actions run concurrently with heartbeats: groups independently, the resources of one group one
 *   after another. A stop issued over a start or stop under way (`aborts`) aborts it through its
 *   AbortSignal (the driver kills its process group) and begins only once it has ended, within the
 *   stop's own timeout: a start is never left running beside the stop that should undo it.
 */
import { AGENT_VERSION } from "./version.js";
import { randomUUID } from "node:crypto";
import type { AllowList } from "../core/agent/allow-list.js";
import { heartbeatIntervalOf, type LeaseTiming } from "../core/agent/lease.js";
import { selfFenceDeadlineMs } from "../core/self-fencing.js";
import { describeAnswerProblems, parseAnswer, type RefusedGroup } from "../core/agent/answer-check.js";
import type { AgentResourceSpec } from "../core/agent/spec.js";
import {
  acceptAnswer,
  answerContext,
  beginLeaving,
  initialState,
  settle,
  type ActionResult,
  type AgentState,
  type Notice,
} from "../core/agent/state.js";
import { earlyHeartbeatDue } from "../core/agent/early-heartbeat.js";
import { type Action, decide } from "../core/agent/supervisor.js";
import type { GroupId, NodeId, ResourceId } from "../core/definition/types.js";
import { dictionary } from "../core/dictionary.js";
import type { ResourceState } from "../core/heartbeat/message.js";
import type {
  AgentLog,
  DriverFactory,
  HeartbeatReply,
  HeartbeatTransport,
  MonotonicClock,
  ResourceDriver,
} from "./edges.js";
import type { WatchdogPort } from "./watchdog.js";

/** Timers, injected so that tests run the agent on a simulated clock. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AgentPorts {
  /** Makes the heartbeat transport with this request timeout; called again when the interval changes. */
  readonly transport: (timeoutMs: number) => HeartbeatTransport;
  readonly drivers: DriverFactory;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly log: AgentLog;
  /** This run's boot id. @default a fresh random UUID */
  readonly bootId?: string;
  /** A watchdog fed at every decision of the loop (`watchdog.ts`), when configured. */
  readonly watchdog?: WatchdogPort;
  /**
   * What answers may name (agent.yaml `allowedPrograms`, `allowedUnits`, `allowedMounts`): a group naming anything else
   * is refused, logged, and treated as absent from the answer. Undefined: anything.
   */
  readonly allowList?: AllowList;
}

/** How the agent ended: 0 when every resource stopped and it left the cluster, 1 otherwise. */
export interface AgentExit {
  readonly code: 0 | 1;
}

/** A heartbeat request must end within this share of the interval, so the next one is never late. */
export const HEARTBEAT_TIMEOUT_SHARE = 0.8;
/**
 * The loop decides at least once per heartbeat interval, or twice that when a heartbeat request is slow:
 * a watchdog timeout shorter than this many intervals may reset a healthy node.
 */
const WATCHDOG_MIN_INTERVALS = 3;
/** Tries of the final (leaving) heartbeat when it gets no answer or a 5xx. */
export const FINAL_HEARTBEAT_TRIES = 3;

export interface HeartbeatBody {
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  readonly resources: Readonly<Record<ResourceId, ResourceState>>;
  /** Per group, the epoch of the last answer the agent obeyed for it (docs/protocol.md); {} before any. */
  readonly epochs: Readonly<Record<GroupId, number>>;
  readonly leaving?: true;
  /** The agent's version (`AGENT_VERSION`), shown by `baton status`. */
  readonly agentVersion: string;
}

export class Agent {
  readonly bootId: string;
  /** Resolves once the agent has left (after `leave`), with the process's exit code. */
  readonly finished: Promise<AgentExit>;

  private readonly ports: AgentPorts;
  private state: AgentState;
  private report: Readonly<Record<ResourceId, ResourceState>> = dictionary();
  private epochs: Readonly<Record<GroupId, number>> = dictionary();
  /** The watchdog is not fed: resources may run past the self-fence deadline. */
  private starving = false;
  private stage: "new" | "running" | "finishing" | "done" = "new";
  /** Stopping for a restart (`leave(_, "restart")`): the last heartbeat is not a leaving one. */
  private restarting = false;
  private resolveFinished: (exit: AgentExit) => void = () => undefined;
  private seq = 0;
  private transport: HeartbeatTransport;
  private transportTimeoutMs: number;
  private exchange: Promise<void> | undefined;
  private heartbeatDue = false;
  private heartbeatTimer: unknown;
  private lastSentAt: number | undefined;
  /** What the last heartbeat sent reported, and when the last early one was sent (`earlyHeartbeatDue`). */
  private sentReport: Readonly<Record<ResourceId, ResourceState>> | undefined;
  private lastEarlyAt: number | undefined;
  private unanswered = 0;
  private wakeTimer: unknown;
  private wakeAt: number | undefined;
  private readonly drivers = new Map<ResourceId, { readonly key: string; readonly driver: ResourceDriver }>();
  /** Starts and stops under way in their drivers, by token: how to abort each, and when it has ended. */
  private readonly underWay = new Map<number, { readonly abort: AbortController; readonly ended: Promise<unknown> }>();
  /** Per group refused for the allow-list, what was logged: the same refusal is logged once, not every heartbeat. */
  private readonly notAllowedLogged = new Map<GroupId, string>();

  /** @throws whatever `ports.transport` throws for options that cannot work (made here, not at the first heartbeat) */
  constructor(nodeId: NodeId, ports: AgentPorts) {
    this.ports = ports;
    this.bootId = ports.bootId ?? randomUUID();
    this.state = initialState(nodeId);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.transportTimeoutMs = timeoutFor(heartbeatIntervalOf(undefined));
    this.transport = ports.transport(this.transportTimeoutMs);
  }

  /** Starts heartbeating; resources start when the cluster's answers ask for them. */
  start(): void {
    if (this.stage !== "new") return;
    this.stage = "running";
    this.ports.log.info("baton-agent started", { nodeId: this.state.nodeId, bootId: this.bootId });
    this.heartbeat();
  }

  /**
   * Leaves the cluster (SIGTERM, SIGINT): stops every resource in reverse order, sends a last heartbeat
   * with `leaving: true`, and resolves `finished`. Called again while leaving, it logs and goes on.
   *
   * `restart` (SIGUSR2, systemd's RestartKillSignal on `systemctl restart`, docs/agent.md): the same stops, but the
   * last heartbeat is not a leaving one, so the cluster moves nothing; the next boot of the agent is told the
   * groups again at its first answer and starts them on this node. A real leave (SIGTERM) while restarting
   * turns it into a leave.
   */
  leave(reason: string, mode: "leave" | "restart" = "leave"): void {
    if (this.stage === "new") {
      this.ports.log.info(`${reason}: leaving before the first heartbeat`);
      this.close(0);
      return;
    }
    if (this.stage === "done") return;
    if (this.state.leavingSince !== undefined) {
      if (mode === "leave" && this.restarting) {
        this.restarting = false;
        this.ports.log.warn(`${reason} received while stopping for a restart: leaving the cluster instead`);
        return;
      }
      this.ports.log.warn(`${reason} received while leaving: still stopping resources, then leaving`);
      return;
    }
    this.restarting = mode === "restart";
    this.ports.log.info(
      this.restarting
        ? `${reason} received: stopping every resource for a restart; the cluster keeps this node's groups for its next boot`
        : `${reason} received: stopping every resource, then leaving the cluster`,
    );
    this.state = beginLeaving(this.state, this.ports.clock.now());
    this.decide();
  }

  private heartbeat(): void {
    if (this.stage !== "running") return;
    if (this.exchange !== undefined) {
      this.heartbeatDue = true;
      return;
    }
    this.decide(false);
    if (this.stage !== "running") return;
    const sentAt = this.ports.clock.now();
    this.lastSentAt = sentAt;
    this.scheduleHeartbeat(sentAt + heartbeatIntervalOf(this.state.lease), sentAt);
    const body: HeartbeatBody = {
      nodeId: this.state.nodeId,
      bootId: this.bootId,
      seq: ++this.seq,
      resources: this.report,
      epochs: this.epochs,
      agentVersion: AGENT_VERSION,
    };
    this.sentReport = body.resources;
    this.exchange = this.send(body, sentAt).finally(() => {
      this.exchange = undefined;
      // Leaving waits for the exchange in flight: its answer may start stops the last heartbeat must wait for.
      if (this.state.leavingSince !== undefined) this.decide();
      if (this.heartbeatDue) {
        this.heartbeatDue = false;
        this.heartbeat();
      }
    });
  }

  private async send(body: HeartbeatBody, sentAt: number): Promise<void> {
    let reply: HeartbeatReply;
    try {
      reply = await this.currentTransport().send(body);
    } catch (error) {
      this.unanswered++;
      this.ports.log.warn(`heartbeat ${body.seq} got no answer: ${messageOf(error)}`, { seq: body.seq });
      return;
    }
    if (this.stage === "done") return;
    if (reply.status !== 200) {
      this.unanswered++;
      this.ports.log.warn(`heartbeat ${body.seq} refused: ${describeRefusal(reply)}`, {
        seq: body.seq,
        status: reply.status,
      });
      return;
    }
    const context = { ...answerContext(this.state, this.bootId, body.seq), allowList: this.ports.allowList };
    const parsed = parseAnswer(reply.body, context);
    if (!parsed.ok) {
      this.unanswered++;
      this.ports.log.error(
        `ignored the answer to heartbeat ${body.seq} (the lease is not renewed): ${describeAnswerProblems(parsed.problems)}`,
        { seq: body.seq, problems: parsed.problems },
      );
      return;
    }
    this.logNotAllowed(parsed.refusedGroups, body.seq);
    for (const refused of parsed.refusedGroups) {
      if (refused.reason !== "epoch") continue;
      this.ports.log.error(
        `ignored group ${refused.groupId} in the answer to heartbeat ${body.seq}: ${refused.path} ${refused.message} ` +
          `(was the table restored or edited by hand?); the group is stopped here if it runs, the rest of the answer counts`,
        { seq: body.seq, group: refused.groupId },
      );
    }
    const first = this.state.answer === undefined;
    this.state = acceptAnswer(this.state, parsed.answer, sentAt);
    if (first) {
      this.ports.log.info(`joined cluster ${parsed.answer.cluster} as ${this.state.nodeId}`, {
        leaseDurationMs: parsed.answer.leaseDurationMs,
        heartbeatIntervalMs: parsed.answer.heartbeatIntervalMs,
      });
      this.checkWatchdog(parsed.answer);
    } else if (this.unanswered > 0) {
      this.ports.log.info(`heartbeats answered again after ${this.unanswered} without a valid answer`);
    }
    this.unanswered = 0;
    if (this.stage === "running" && this.lastSentAt !== undefined) {
      this.scheduleHeartbeat(this.lastSentAt + parsed.answer.heartbeatIntervalMs, this.ports.clock.now());
    }
    this.decide();
  }

  /** Groups refused for the allow-list: each refusal logged when it begins or changes, and its end. */
  private logNotAllowed(refusedGroups: readonly RefusedGroup[], seq: number): void {
    const now = new Map(refusedGroups.filter((r) => r.reason === "not-allowed").map((r) => [r.groupId, r]));
    for (const [groupId, refused] of now) {
      const text = `${refused.path} ${refused.message}`;
      if (this.notAllowedLogged.get(groupId) === text) continue;
      this.notAllowedLogged.set(groupId, text);
      this.ports.log.error(
        `refused group ${groupId} in the answer to heartbeat ${seq}: ${text}; nothing of it starts here and ` +
          "whatever of it runs is stopped, the rest of the answer counts (logged again only if this changes)",
        { seq, group: groupId },
      );
    }
    for (const groupId of this.notAllowedLogged.keys()) {
      if (now.has(groupId)) continue;
      this.notAllowedLogged.delete(groupId);
      this.ports.log.info(`group ${groupId} no longer names anything outside the allow-list`, { seq, group: groupId });
    }
  }

  /**
   * The supervisor's decisions, now: log its notices, start its actions, arm its timer; and heartbeat at once when a
   * resource settled in a new state (not from `heartbeat()` itself, which is about to send).
   */
  private decide(mayBeatEarly = true): void {
    if (this.stage === "done") return;
    const now = this.ports.clock.now();
    const decided = decide(this.state, now);
    this.state = decided.state;
    this.report = decided.report;
    this.epochs = decided.epochs;
    this.logAll(decided.notices);
    this.feedWatchdog(decided.overdue);
    for (const action of decided.actions) this.perform(action);
    this.scheduleWake(decided.wakeAt, now);
    if (decided.left !== undefined && this.stage === "running" && this.exchange === undefined) {
      void this.finish(decided.left.allOffline);
    }
    const early = { state: this.state, report: this.report, sent: this.sentReport, lastEarlyAt: this.lastEarlyAt, now };
    if (mayBeatEarly && this.stage === "running" && earlyHeartbeatDue(early)) {
      // Sent now, or as soon as the heartbeat in flight has its answer (`heartbeatDue`).
      this.lastEarlyAt = now;
      this.heartbeat();
    }
  }

  private perform(action: Action): void {
    const abort = new AbortController();
    const outcome = this.run(action, abort.signal);
    if (action.kind !== "check") this.underWay.set(action.token, { abort, ended: outcome });
    void outcome.then((result) => {
      this.underWay.delete(action.token);
      if (this.stage === "done") return;
      const settled = settle(this.state, result, this.ports.clock.now());
      this.state = settled.state;
      this.logAll(settled.notices);
      this.decide();
    });
  }

  /** Never rejects: a driver's error is a failed result. */
  private async run(action: Action, signal: AbortSignal): Promise<ActionResult> {
    const result = { kind: action.kind, resourceId: action.resourceId, token: action.token };
    try {
      const driver = this.driverFor(action.spec);
      if (action.kind === "check") return { ...result, ok: await driver.check(action.timeoutMs) };
      if (action.kind === "start") {
        await driver.start(action.timeoutMs, signal);
        return { ...result, ok: true };
      }
      const began = this.ports.clock.now();
      const aborted = action.aborts.flatMap((token) => this.underWay.get(token) ?? []);
      for (const operation of aborted) operation.abort.abort();
      if (aborted.length > 0) {
        const ended = await this.within(Promise.all(aborted.map((o) => o.ended)), action.timeoutMs, signal);
        // Itself aborted by a later stop meanwhile: that stop waits for the same operations.
        if (signal.aborted) return { ...result, ok: false, error: `the stop of ${action.resourceId} was aborted` };
        if (!ended) {
          return {
            ...result,
            ok: false,
            error: `what was under way on ${action.resourceId} did not end within ${action.timeoutMs} ms of being aborted`,
          };
        }
      }
      const left = Math.max(1, Math.floor(action.timeoutMs - (this.ports.clock.now() - began)));
      await driver.stop(left, signal);
      return { ...result, ok: true };
    } catch (error) {
      return { ...result, ok: false, error: messageOf(error) };
    }
  }

  /** Whether `promise` settles within `ms` (on the injected timers); false at once when `signal` aborts. */
  private within(promise: Promise<unknown>, ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.ports.timers.setTimeout(() => resolve(false), ms);
      const onAbort = () => {
        this.ports.timers.clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      void promise.then(() => {
        this.ports.timers.clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      });
    });
  }

  /**
   * The loop runs, so the watchdog is fed (a hung loop stops feeding it), unless resources may still
   * run past the self-fence deadline: then the machine must be reset, as sbd does.
   */
  private feedWatchdog(overdue: readonly ResourceId[]): void {
    const watchdog = this.ports.watchdog;
    if (watchdog === undefined) return;
    if (overdue.length === 0) {
      if (this.starving) this.ports.log.info("every resource is stopped: feeding the watchdog again");
      this.starving = false;
      watchdog.pet();
      return;
    }
    if (!this.starving) {
      this.ports.log.error(
        `resources may still run past the self-fence deadline (${overdue.join(", ")}): no longer feeding the watchdog, so the node will be reset when it times out`,
        { resources: [...overdue] },
      );
    }
    this.starving = true;
  }

  /** Says so when the watchdog's timeout does not fit the lease (docs/agent.md, "Watchdog"). */
  private checkWatchdog(timing: LeaseTiming): void {
    const timeoutMs = this.ports.watchdog?.timeoutMs;
    if (timeoutMs === undefined) return;
    const deadlineMs = selfFenceDeadlineMs(timing);
    const attributes = { watchdogTimeoutMs: timeoutMs, selfFenceDeadlineMs: deadlineMs };
    if (timeoutMs > deadlineMs) {
      this.ports.log.error(
        `the watchdog's timeout (${timeoutMs} ms) is longer than the self-fence deadline (${deadlineMs} ms): a hung agent would not reset the node before its lease ends; lower it (softdog soft_margin=, or the driver's own parameter)`,
        attributes,
      );
    } else if (timeoutMs < WATCHDOG_MIN_INTERVALS * timing.heartbeatIntervalMs) {
      this.ports.log.warn(
        `the watchdog's timeout (${timeoutMs} ms) is shorter than ${WATCHDOG_MIN_INTERVALS} heartbeat intervals: a slow heartbeat may reset the node for nothing`,
        attributes,
      );
    }
  }

  private driverFor(spec: AgentResourceSpec): ResourceDriver {
    const key = JSON.stringify(spec);
    const known = this.drivers.get(spec.id);
    if (known?.key === key) return known.driver;
    const driver = this.ports.drivers(spec);
    this.drivers.set(spec.id, { key, driver });
    return driver;
  }

  /** Every resource is down (or would not stop): the last heartbeat, then done. */
  private async finish(allOffline: boolean): Promise<void> {
    this.stage = "finishing";
    this.clearTimer("heartbeat");
    await this.exchange;
    const resources = allOffline
      ? dictionary(Object.keys(this.report).map((id) => [id, "offline" as const]))
      : this.report;
    let unacknowledged: string | undefined = "not sent";
    for (let attempt = 1; attempt <= FINAL_HEARTBEAT_TRIES; attempt++) {
      const body: HeartbeatBody = {
        nodeId: this.state.nodeId,
        bootId: this.bootId,
        seq: ++this.seq,
        resources,
        epochs: this.epochs,
        agentVersion: AGENT_VERSION,
        ...(allOffline && !this.restarting ? { leaving: true as const } : {}),
      };
      try {
        const reply = await this.currentTransport().send(body);
        if (reply.status === 200) {
          unacknowledged = undefined;
          break;
        }
        unacknowledged = `refused: ${describeRefusal(reply)}`;
        this.ports.log.warn(`last heartbeat ${body.seq} refused: ${describeRefusal(reply)}`, { seq: body.seq });
        if (reply.status < 500) break;
      } catch (error) {
        unacknowledged = `no answer after ${attempt} ${attempt === 1 ? "try" : "tries"}: ${messageOf(error)}`;
        this.ports.log.warn(`last heartbeat ${body.seq} got no answer: ${messageOf(error)}`, { seq: body.seq });
      }
    }
    if (allOffline && this.restarting) {
      this.ports.log.info(
        `stopped every resource for a restart${unacknowledged === undefined ? "" : ` (the last report was not acknowledged: ${unacknowledged})`}: the next boot takes this node's groups back at its first answer; if it does not heartbeat within the lease and grace, they fail over`,
      );
    } else if (allOffline && unacknowledged === undefined) {
      this.ports.log.info("left the cluster: every resource is offline");
    } else if (allOffline) {
      // The cluster was not told: its groups stay assigned to this node until the controller finds it silent.
      this.ports.log.warn(
        `stopped every resource, but the cluster did not acknowledge the leaving heartbeat (${unacknowledged}): it still counts this node as an owner until its lease and grace are over after the last acknowledged heartbeat, then moves its groups as from a silent node (fencing EC2 nodes where the group fences)`,
        { reason: unacknowledged },
      );
    } else {
      const stuck = Object.entries(this.report)
        .filter(([, state]) => state !== "offline")
        .map(([id]) => id);
      this.ports.log.error(
        `exiting with resources that did not stop (${stuck.join(", ")}): they may still be running; check them before their groups start elsewhere`,
        { resources: stuck },
      );
    }
    this.close(allOffline ? 0 : 1);
  }

  private close(code: 0 | 1): void {
    this.stage = "done";
    this.clearTimer("heartbeat");
    this.clearTimer("wake");
    this.transport.close();
    this.resolveFinished({ code });
  }

  private currentTransport(): HeartbeatTransport {
    const timeoutMs = timeoutFor(heartbeatIntervalOf(this.state.lease));
    if (timeoutMs !== this.transportTimeoutMs) {
      this.transport.close();
      this.transport = this.ports.transport(timeoutMs);
      this.transportTimeoutMs = timeoutMs;
    }
    return this.transport;
  }

  private scheduleHeartbeat(at: number, now: number): void {
    this.clearTimer("heartbeat");
    this.heartbeatTimer = this.ports.timers.setTimeout(
      () => {
        this.heartbeatTimer = undefined;
        this.heartbeat();
      },
      Math.max(0, at - now),
    );
  }

  private scheduleWake(at: number | undefined, now: number): void {
    if (at === this.wakeAt) return;
    this.clearTimer("wake");
    if (at === undefined) return;
    this.wakeAt = at;
    // A timer may fire a fraction of a millisecond early: the supervisor then simply arms it again.
    this.wakeTimer = this.ports.timers.setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = undefined;
        this.decide();
      },
      Math.max(0, Math.ceil(at - now)),
    );
  }

  private clearTimer(which: "heartbeat" | "wake"): void {
    const handle = which === "heartbeat" ? this.heartbeatTimer : this.wakeTimer;
    if (handle !== undefined) this.ports.timers.clearTimeout(handle);
    if (which === "heartbeat") this.heartbeatTimer = undefined;
    else {
      this.wakeTimer = undefined;
      this.wakeAt = undefined;
    }
  }

  private logAll(notices: readonly Notice[]): void {
    for (const notice of notices)
      this.ports.log[notice.level](notice.message, notice.attributes ? { ...notice.attributes } : undefined);
  }
}

function timeoutFor(intervalMs: number): number {
  return Math.floor(intervalMs * HEARTBEAT_TIMEOUT_SHARE);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `HTTP 409 StaleHeartbeat: ...` from an error answer (docs/protocol.md), whatever its body. */
function describeRefusal(reply: HeartbeatReply): string {
  const error: unknown =
    typeof reply.body === "object" && reply.body !== null ? (reply.body as { error?: unknown }).error : undefined;
  const field = (name: string): string | undefined => {
    const value: unknown =
      typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined;
    return typeof value === "string" ? value.slice(0, 500) : undefined;
  };
  const code = field("code");
  const message = field("message");
  return `HTTP ${reply.status}${code === undefined ? "" : ` ${code}`}${message === undefined ? "" : `: ${message}`}`;
}
