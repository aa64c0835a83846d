/**
 * Fakes for the agent's ports on one simulated monotonic clock: timers, a heartbeat transport whose
 * answers and delays a test decides, and resource drivers that take simulated time and remember
 * whether each resource runs. Nothing here waits for real time.
 */
import type { AgentPorts, HeartbeatBody, Timers } from "../../../lib/agent/agent.js";
import {
  ResourceActionError,
  type AgentLog,
  type HeartbeatReply,
  type HeartbeatTransport,
  type MonotonicClock,
  type ResourceDriver,
} from "../../../lib/agent/edges.js";
import type { AgentResourceSpec } from "../../../lib/core/agent/spec.js";

export const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";

/** Lets every pending promise callback run (no real time passes for the simulation). */
export async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** A simulated clock and its timers: time moves only in `advance`. */
export class FakeTime {
  now = 0;
  private timers: Timer[] = [];
  private nextId = 1;

  /** Called before each timer runs, and at the end of `advance`, with the time it is then. */
  observe: (now: number) => void = () => undefined;

  readonly clock: MonotonicClock = { now: () => this.now };
  readonly timerPort: Timers = {
    setTimeout: (callback, ms) => this.at(this.now + ms, callback),
    clearTimeout: (handle) => {
      this.timers = this.timers.filter((timer) => timer.id !== handle);
    },
  };

  at(at: number, callback: () => void): number {
    const id = this.nextId++;
    this.timers.push({ id, at: Math.max(at, this.now), callback });
    return id;
  }

  /** Runs every timer due within `ms`, in time order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    await settleMicrotasks();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t.id !== next.id);
      this.observe(next.at);
      this.now = next.at;
      next.callback();
      await settleMicrotasks();
    }
    this.observe(until);
    this.now = until;
    await settleMicrotasks();
  }
}

export type Answerer = (body: HeartbeatBody, now: number) => HeartbeatReply | "unreachable";

/** Records every heartbeat with its send time; answers with `answerer` after `latencyMs`. */
export class FakeTransport {
  readonly sent: { readonly body: HeartbeatBody; readonly at: number }[] = [];
  readonly timeouts: number[] = [];
  /** Replies that reached the agent, with the send time of their heartbeat. */
  readonly delivered: { readonly sentAt: number; readonly reply: HeartbeatReply }[] = [];
  latencyMs = 50;
  answerer: Answerer = () => "unreachable";
  private inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly time: FakeTime) {}

  readonly factory = (timeoutMs: number): HeartbeatTransport => {
    this.timeouts.push(timeoutMs);
    return {
      send: (body) => {
        const sentBody = body as HeartbeatBody;
        this.sent.push({ body: sentBody, at: this.time.now });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const sentAt = this.time.now;
        const reply = this.answerer(sentBody, sentAt);
        const delay = reply === "unreachable" ? timeoutMs : Math.min(this.latencyMs, timeoutMs);
        return new Promise<HeartbeatReply>((resolve, reject) => {
          this.time.at(this.time.now + delay, () => {
            this.inFlight--;
            if (reply === "unreachable" || this.latencyMs > timeoutMs) {
              reject(new Error("timed out"));
            } else {
              this.delivered.push({ sentAt, reply });
              resolve(reply);
            }
          });
        });
      },
      close: () => undefined,
    };
  };
}

export interface Behaviour {
  startMs: number;
  stopMs: number;
  /** How long an aborted start or stop takes to end (its process group being killed). */
  abortMs: number;
  startFails: boolean;
  stopFails: boolean;
  healthy: boolean;
}

/**
 * Drivers as unkind as real programs: an action takes simulated time and fails when it would take
 * longer than its timeout; a stop does NOT cancel a start under way (the start goes on and, when it
 * ends well, brings the resource up, even after the stop ended); only an abort through the action's
 * AbortSignal ends it early, `abortMs` later. A resource counts as running from the moment a start
 * begins until a stop ends well with no start under way, the cautious reading for the property tests.
 */
export class FakeDrivers {
  readonly events: { readonly at: number; readonly what: string }[] = [];
  readonly running = new Set<string>();
  readonly behaviour = new Map<string, Behaviour>();
  /** Starts and stops under way, per resource. */
  private readonly starts = new Map<string, number>();
  private readonly stops = new Map<string, number>();
  /** Called when a start or stop begins, before the resource's state changes. */
  onAction: (action: "start" | "stop", id: string) => void = () => undefined;

  constructor(private readonly time: FakeTime) {}

  behave(id: string, change: Partial<Behaviour>): void {
    this.behaviour.set(id, { ...this.of(id), ...change });
  }

  of(id: string): Behaviour {
    return (
      this.behaviour.get(id) ?? {
        startMs: 100,
        stopMs: 100,
        abortMs: 20,
        startFails: false,
        stopFails: false,
        healthy: true,
      }
    );
  }

  /** How many starts and stops of `id` are under way in the driver. */
  underWay(id: string): number {
    return (this.starts.get(id) ?? 0) + (this.stops.get(id) ?? 0);
  }

  /** The resource ids in the order the given action began. */
  order(action: "start" | "stop" | "check"): string[] {
    return this.events.filter((e) => e.what.startsWith(`${action} `)).map((e) => e.what.slice(action.length + 1));
  }

  /** Runs an action: `done` after `ms` unless aborted first, then it ends `abortMs` after the abort. */
  private act(
    kind: "start" | "stop",
    id: string,
    ms: number,
    signal: AbortSignal | undefined,
    done: () => Error | undefined,
  ): Promise<void> {
    const counts = kind === "start" ? this.starts : this.stops;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    let ended = false;
    const end = (): boolean => {
      if (ended) return false;
      ended = true;
      counts.set(id, (counts.get(id) ?? 1) - 1);
      return true;
    };
    return new Promise<void>((resolve, reject) => {
      this.time.at(this.time.now + ms, () => {
        if (!end()) return;
        const error = done();
        if (error === undefined) resolve();
        else reject(error);
      });
      const onAbort = () => {
        this.time.at(this.time.now + this.of(id).abortMs, () => {
          if (!end()) return;
          this.events.push({ at: this.time.now, what: `aborted ${kind} ${id}` });
          reject(new ResourceActionError(`${kind} of ${id} aborted`));
        });
      };
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener("abort", onAbort);
    });
  }

  readonly factory = (spec: AgentResourceSpec): ResourceDriver => ({
    start: (timeoutMs, signal) => {
      this.onAction("start", spec.id);
      this.events.push({ at: this.time.now, what: `start ${spec.id}` });
      this.running.add(spec.id);
      const b = this.of(spec.id);
      return this.act("start", spec.id, Math.min(b.startMs, timeoutMs), signal, () => {
        if (b.startFails || b.startMs > timeoutMs) return new ResourceActionError(`${spec.id} did not start`);
        // It came up, whatever stopped meanwhile.
        this.running.add(spec.id);
        return undefined;
      });
    },
    stop: (timeoutMs, signal) => {
      this.onAction("stop", spec.id);
      this.events.push({ at: this.time.now, what: `stop ${spec.id}` });
      const b = this.of(spec.id);
      return this.act("stop", spec.id, Math.min(b.stopMs, timeoutMs), signal, () => {
        if (b.stopFails || b.stopMs > timeoutMs) {
          this.events.push({ at: this.time.now, what: `stop-failed ${spec.id}` });
          return new ResourceActionError(`${spec.id} did not stop`);
        }
        // A start still under way may yet bring it up: it stays running for the property tests.
        if ((this.starts.get(spec.id) ?? 0) === 0) this.running.delete(spec.id);
        this.events.push({ at: this.time.now, what: `stopped ${spec.id}` });
        return undefined;
      });
    },
    check: () => {
      this.events.push({ at: this.time.now, what: `check ${spec.id}` });
      return Promise.resolve(this.running.has(spec.id) && this.of(spec.id).healthy);
    },
  });
}

/** A log that keeps its lines. */
export class FakeLog implements AgentLog {
  readonly lines: { readonly level: string; readonly message: string }[] = [];
  debug(message: string): void {
    this.lines.push({ level: "debug", message });
  }
  info(message: string): void {
    this.lines.push({ level: "info", message });
  }
  warn(message: string): void {
    this.lines.push({ level: "warn", message });
  }
  error(message: string): void {
    this.lines.push({ level: "error", message });
  }
  messages(): string[] {
    return this.lines.map((line) => line.message);
  }
}

export function fakePorts(time: FakeTime, transport: FakeTransport, drivers: FakeDrivers, log: FakeLog): AgentPorts {
  return {
    transport: transport.factory,
    drivers: drivers.factory,
    clock: time.clock,
    timers: time.timerPort,
    log,
    bootId: BOOT,
  };
}
