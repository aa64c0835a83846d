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
} from "../../../lib/agent/ports.js";
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
  startFails: boolean;
  stopFails: boolean;
  healthy: boolean;
}

/**
 * Drivers like systemd's: an action takes simulated time, fails when it would take longer than its
 * timeout, and a stop cancels a start under way (the start then fails). A resource counts as running
 * from the moment its start begins until a stop ends well, the cautious reading for the property tests.
 */
export class FakeDrivers {
  readonly events: { readonly at: number; readonly what: string }[] = [];
  readonly running = new Set<string>();
  readonly behaviour = new Map<string, Behaviour>();
  private readonly pendingStarts = new Map<string, () => void>();
  /** Called when a start or stop begins, before the resource's state changes. */
  onAction: (action: "start" | "stop", id: string) => void = () => undefined;

  constructor(private readonly time: FakeTime) {}

  behave(id: string, change: Partial<Behaviour>): void {
    this.behaviour.set(id, { ...this.of(id), ...change });
  }

  of(id: string): Behaviour {
    return this.behaviour.get(id) ?? { startMs: 100, stopMs: 100, startFails: false, stopFails: false, healthy: true };
  }

  /** The resource ids in the order the given action began. */
  order(action: "start" | "stop" | "check"): string[] {
    return this.events.filter((e) => e.what.startsWith(`${action} `)).map((e) => e.what.slice(action.length + 1));
  }

  readonly factory = (spec: AgentResourceSpec): ResourceDriver => ({
    start: (timeoutMs) => {
      this.onAction("start", spec.id);
      this.events.push({ at: this.time.now, what: `start ${spec.id}` });
      this.running.add(spec.id);
      const b = this.of(spec.id);
      return new Promise<void>((resolve, reject) => {
        const cancel = () => reject(new ResourceActionError(`start of ${spec.id} cancelled by a stop`));
        this.pendingStarts.set(spec.id, cancel);
        this.time.at(this.time.now + Math.min(b.startMs, timeoutMs), () => {
          if (this.pendingStarts.get(spec.id) !== cancel) return;
          this.pendingStarts.delete(spec.id);
          if (b.startFails || b.startMs > timeoutMs) reject(new ResourceActionError(`${spec.id} did not start`));
          else resolve();
        });
      });
    },
    stop: (timeoutMs) => {
      this.onAction("stop", spec.id);
      this.events.push({ at: this.time.now, what: `stop ${spec.id}` });
      const cancelStart = this.pendingStarts.get(spec.id);
      this.pendingStarts.delete(spec.id);
      cancelStart?.();
      const b = this.of(spec.id);
      return new Promise<void>((resolve, reject) => {
        this.time.at(this.time.now + Math.min(b.stopMs, timeoutMs), () => {
          if (b.stopFails || b.stopMs > timeoutMs) {
            this.events.push({ at: this.time.now, what: `stop-failed ${spec.id}` });
            reject(new ResourceActionError(`${spec.id} did not stop`));
            return;
          }
          this.running.delete(spec.id);
          this.events.push({ at: this.time.now, what: `stopped ${spec.id}` });
          resolve();
        });
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
