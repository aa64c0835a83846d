// Over 300 lines: the processes of a node and the simulated drivers that start and stop them share one mutable state
// (starts in flight, kills, held mounts) that every driver call reads and changes; split apart, that state would be
// public to both.
/**
 * What really runs on one simulated node: its resources' processes, as the oracle sees them, and the simulated
 * drivers that start and stop them.
 *
 * Drivers behave as the real ones do, not kindly: a start or stop takes time and may hang past its timeout
 * (the driver call then fails, and the work goes on and lands later); a stop does not cancel a start under
 * way (except systemd, whose stop job replaces a pending start job) unless the start is aborted through
 * the optional AbortSignal (the mechanism the agent is getting; a kill takes effect within 50 ms). A mount
 * needs its volume attached to this instance.
 */
import { ResourceActionError, type ResourceDriver } from "../agent/edges.js";
import type { AgentResourceSpec } from "../core/agent/spec.js";
import type { Oracle } from "./oracle.js";
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";
import { WORLD_LIMITS } from "./liveness.js";

interface StartOp {
  killed: boolean;
}

interface Process {
  readonly spec: AgentResourceSpec;
  readonly group: string;
  up: boolean;
  readonly starts: Set<StartOp>;
}

/** What the processes need of their machine and of the world. */
export interface ProcessHost {
  readonly nodeId: string;
  /** The machine's EC2 instance ("" on premise). */
  readonly instanceId: string;
  readonly sched: Scheduler;
  readonly rng: Prng;
  readonly oracle: Oracle;
  /** Absolute time phase one ends. */
  readonly phaseOneEnd: number;
  /** Whether the machine is powered (read at each use). */
  powered(): boolean;
  trace(text: string): void;
  groupOf(resourceId: string): string;
  /** Whether the group is fenced by stop-instance. */
  groupFenced(groupId: string): boolean;
  /** Whether the volume is attached (state attached) to this machine's instance. */
  volumeAttached(volumeId: string): boolean;
  unmounted(volumeId: string): void;
  /** Real (world) milliseconds for `ms` of the agent's monotonic clock. */
  realMs(ms: number): number;
  /** World time until which the machine stalls before it issues this call (the stall armed for a stop begins here). */
  stalledUntil(what: "start" | "stop"): number;
}

export class Processes {
  /** Resource ids whose next start / stop hangs. */
  readonly hangNext = { start: new Set<string>(), stop: new Set<string>() };
  /** Resource ids whose next stop is slow: [from, to] share of the timeout it runs with (at most 30 s). */
  readonly slowNextStop = new Map<string, readonly [number, number]>();
  /** Mount resource ids whose next unmount lies (held elsewhere for that long: the `held-mount` fault). */
  readonly lieNextUnmount = new Map<string, number>();
  /** Volumes whose filesystem another mount namespace still holds, unseen by the agent, with the group. */
  private readonly held = new Map<string, { resource: string; group: string; release: () => void }>();
  /** When a held mount of each volume was last let go. */
  private readonly releasedAt = new Map<string, number>();
  private readonly processes = new Map<string, Process>();

  constructor(private readonly host: ProcessHost) {}

  private get sched(): Scheduler {
    return this.host.sched;
  }

  private get rng(): Prng {
    return this.host.rng;
  }

  private trace(text: string): void {
    this.host.trace(text);
  }

  private proc(spec: AgentResourceSpec): Process {
    let p = this.processes.get(spec.id);
    if (!p)
      this.processes.set(spec.id, (p = { spec, group: this.host.groupOf(spec.id), up: false, starts: new Set() }));
    return p;
  }

  private update(p: Process): void {
    this.host.oracle.setRunning(p.group, this.host.nodeId, p.spec.id, p.up || p.starts.size > 0);
  }

  /** Running before the schedule begins (a settled cluster). */
  seedRunning(spec: AgentResourceSpec): void {
    const p = this.proc(spec);
    p.up = true;
    this.update(p);
  }

  /**
   * A mount of this volume was held in another mount namespace (the `held-mount` fault), whatever the agent did, at
   * some time since `since` (virtual time).
   */
  heldElsewhereSince(volumeId: string, since: number): boolean {
    return this.held.has(volumeId) || (this.releasedAt.get(volumeId) ?? -Infinity) > since;
  }

  mountMayRun(volumeId: string): boolean {
    if (this.held.has(volumeId)) return true;
    for (const p of this.processes.values()) {
      if (p.spec.type === "mount" && p.spec.volumeId === volumeId && (p.up || p.starts.size > 0)) return true;
    }
    return false;
  }

  /**
   * Whether the agent may hang here without a residual risk the design admits (docs/safety.md, "What is not
   * covered yet"): nothing of a group that is not fenced by stop-instance runs or is starting or stopping.
   */
  mayHang(): boolean {
    for (const p of this.processes.values())
      if ((p.up || p.starts.size > 0) && !this.host.groupFenced(p.group)) return false;
    return true;
  }

  /** Whether every given resource is up here and nothing of them is starting. */
  runs(resourceIds: readonly string[]): boolean {
    return resourceIds.every((id) => this.processes.get(id)?.up === true);
  }

  private kill(p: Process, reason: string): void {
    for (const op of p.starts) op.killed = true;
    p.starts.clear();
    if (p.up) this.trace(`${p.spec.id} killed (${reason})`);
    p.up = false;
    if (p.spec.type === "mount") this.host.unmounted(p.spec.volumeId);
    this.update(p);
  }

  /** A power-off: everything ends at once, held mounts included. */
  killAll(): void {
    for (const p of this.processes.values()) this.kill(p, "power off");
    for (const h of [...this.held.values()]) h.release();
  }

  crashResource(resourceId: string): void {
    const p = this.processes.get(resourceId);
    if (!p?.up || p.spec.type === "mount") return;
    this.trace(`${resourceId} process dies`);
    p.up = false;
    this.update(p);
  }

  /** The agent's control group is killed: its `command` resources die, starts of mounts under way end. */
  killChildren(): void {
    for (const p of this.processes.values())
      if (p.spec.type === "command") this.kill(p, "agent's control group killed");
    for (const p of this.processes.values()) {
      if (p.spec.type === "mount" && p.starts.size > 0) {
        for (const op of p.starts) op.killed = true;
        p.starts.clear();
        this.update(p);
      }
    }
  }

  /**
   * The `held-mount` fault: the unmount succeeded where the agent looks, but another mount namespace still has
   * the filesystem mounted and a process there writes it, until it exits `ms` later. The oracle counts it as
   * the group's mount still running here, and EC2 sees the volume in use.
   */
  private hold(resource: string, volumeId: string, group: string, ms: number): void {
    const label = `${resource} (held in another mount namespace)`;
    this.trace(`${resource} unmounted for the agent, but still mounted and in use elsewhere for ${ms} ms`);
    const timer = this.sched.after(ms, () => release());
    const release = (): void => {
      if (this.held.get(volumeId)?.release !== release) return;
      timer.cancel();
      this.held.delete(volumeId);
      this.releasedAt.set(volumeId, this.sched.now);
      this.host.oracle.setRunning(group, this.host.nodeId, label, false);
      this.trace(`${label} let go`);
      this.host.unmounted(volumeId);
    };
    this.held.set(volumeId, { resource, group, release });
    this.host.oracle.setRunning(group, this.host.nodeId, label, true);
  }

  /** The second agent model's report: what the reference reports, but a resource whose process has exited is `offline`. */
  reportExited(body: unknown): unknown {
    const request = body as { seq?: number; resources?: Record<string, string> };
    if (request.resources === undefined) return body;
    const resources = { ...request.resources };
    for (const [id, state] of Object.entries(resources)) {
      const p = this.processes.get(id);
      if (state !== "online" || p === undefined || p.up || p.starts.size > 0) continue;
      resources[id] = "offline";
      this.trace(
        `reports ${id} offline in heartbeat ${request.seq ?? "?"} (its process exited; a local restart is due)`,
      );
    }
    return { ...request, resources };
  }

  driver(spec: AgentResourceSpec, deliver: (fn: () => void) => void): ResourceDriver {
    const p = this.proc(spec);
    const call = (
      what: "start" | "stop",
      timeoutMs: number,
      work: (finish: (ok: boolean, why?: string) => void) => void,
    ): Promise<void> => {
      const until = this.host.stalledUntil(what);
      if (this.sched.now < until) {
        return new Promise<void>((resolve) => this.sched.at(until, resolve)).then(() => call(what, timeoutMs, work));
      }
      return new Promise((resolve, reject) => {
        let settled = false;
        const end = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          deliver(fn);
        };
        const timer = this.sched.after(this.host.realMs(timeoutMs), () =>
          end(() => reject(new ResourceActionError(`${spec.id}: ${what} did not finish within ${timeoutMs} ms`))),
        );
        work((ok, why) => {
          timer.cancel();
          end(() => (ok ? resolve() : reject(new ResourceActionError(`${spec.id}: ${what} failed: ${why ?? ""}`))));
        });
      });
    };
    return {
      start: (timeoutMs: number, signal?: AbortSignal) =>
        call("start", timeoutMs, (finish) => {
          if (!this.host.powered()) return;
          const op: StartOp = { killed: false };
          p.starts.add(op);
          this.update(p);
          // A start sometimes hangs for a while (a slow disk, a lock): by fault, or 8 % of the starts that
          // begin in phase one (10..20 s, so that it is over before liveness is judged).
          const hang = this.hangNext.start.delete(spec.id);
          const stall = !hang && this.sched.now < this.host.phaseOneEnd && this.rng.chance(0.08);
          const ms = hang
            ? this.rng.int(20_000, 90_000)
            : stall
              ? this.rng.int(10_000, 20_000)
              : this.rng.chance(0.15)
                ? this.rng.int(1500, WORLD_LIMITS.startMs)
                : this.rng.int(100, 1500);
          this.trace(`${spec.id} start begins${hang || stall ? ` (will take ${ms} ms)` : ""}`);
          signal?.addEventListener("abort", () => {
            this.sched.after(this.rng.int(5, 50), () => {
              if (!p.starts.has(op)) return;
              op.killed = true;
              p.starts.delete(op);
              this.trace(`${spec.id} start aborted (killed)`);
              this.update(p);
              // The real drivers' call ends once its process group is killed (lib/agent/drivers/action.ts):
              // the agent waits for that before it stops the resource.
              finish(false, "killed");
            });
          });
          this.sched.after(ms, () => {
            if (op.killed || !p.starts.delete(op)) return finish(false, "killed");
            const attached = spec.type !== "mount" || this.host.volumeAttached(spec.volumeId);
            if (attached) p.up = true;
            this.update(p);
            this.trace(`${spec.id} start ${attached ? "done: up" : "failed: device not found"}`);
            finish(attached, "device not found");
          });
        }),
      stop: (timeoutMs: number, signal?: AbortSignal) =>
        call("stop", timeoutMs, (finish) => {
          if (!this.host.powered()) return;
          if (spec.type === "systemd") {
            // systemd: the stop job replaces a pending start job.
            for (const op of p.starts) op.killed = true;
            p.starts.clear();
          }
          const hang = this.hangNext.stop.delete(spec.id);
          // A stop program keeps within the timeout it is run with (the operator's stopTimeout when self-fencing,
          // pendingTimeout when asked): mostly quick, sometimes slow (a checkpoint), up to 30 s.
          const cap = Math.min(timeoutMs, 30_000);
          const slow = Math.floor(cap * 0.95);
          const forced = this.slowNextStop.get(spec.id);
          this.slowNextStop.delete(spec.id);
          const ms = hang
            ? this.rng.int(5_000, 30_000)
            : forced
              ? this.rng.int(Math.floor(cap * forced[0]), Math.floor(cap * forced[1]))
              : this.rng.chance(0.2)
                ? this.rng.int(Math.min(700, slow), slow)
                : this.rng.int(50, 700);
          this.trace(`${spec.id} stop begins${hang ? " (will hang)" : forced ? ` (slow: ${ms} ms)` : ""}`);
          // As the real command and mount drivers do (lib/agent/drivers), an aborted stop has its program killed
          // (within 50 ms): the call ends and the resource stays as it was (up if it was). A stop begun with
          // pendingTimeout (leaving, superseded) is thus replaced by a self-fencing stop bounded by stopTimeout.
          // systemd is left as it was: killing `systemctl stop` does not cancel the unit's stop job.
          let killed = false;
          if (spec.type !== "systemd")
            signal?.addEventListener("abort", () => {
              this.sched.after(this.rng.int(5, 50), () => {
                if (killed || done) return;
                killed = true;
                this.trace(`${spec.id} stop aborted (killed)`);
                finish(false, "killed");
              });
            });
          let done = false;
          this.sched.after(ms, () => {
            if (!this.host.powered() || killed) return;
            done = true;
            const wasUp = p.up;
            p.up = false;
            this.update(p);
            const holdMs = spec.type === "mount" && wasUp ? this.lieNextUnmount.get(spec.id) : undefined;
            if (spec.type === "mount" && holdMs !== undefined) {
              this.lieNextUnmount.delete(spec.id);
              this.hold(spec.id, spec.volumeId, p.group, holdMs);
            } else if (spec.type === "mount") this.host.unmounted(spec.volumeId);
            this.trace(
              `${spec.id} stop done${wasUp ? "" : " (was down)"}${p.starts.size > 0 ? `, ${p.starts.size} start(s) still under way` : ""}`,
            );
            finish(true);
          });
        }),
      check: (timeoutMs: number) =>
        new Promise<boolean>((resolve) => {
          this.sched.after(Math.min(timeoutMs, this.rng.int(10, 100)), () => deliver(() => resolve(p.up)));
        }),
    };
  }
}
