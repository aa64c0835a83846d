/**
 * One node: its power, its processes (the resources as they really run), and the REAL `Agent` running on
 * the virtual clock with a simulated transport and simulated drivers.
 *
 * Drivers behave as the real ones do, not kindly: a start or stop takes time and may hang past its timeout
 * (the driver call then fails, and the work goes on and lands later); a stop does not cancel a start under
 * way (except systemd, whose stop job replaces a pending start job) unless the start is aborted through
 * the optional AbortSignal (the mechanism the agent is getting; a kill takes effect within 50 ms). A mount
 * needs its volume attached to this instance.
 *
 * An agent restart under systemd (KillMode=control-group) kills the agent and its `command` resources (its
 * children); mounts stay, and systemd units run on. A crash does the same without the leaving heartbeat.
 * A power-off ends everything at once. A pause (SIGSTOP, a stuck process) delays everything the agent would
 * do or learn, while its resources run on.
 */
import { Agent } from "../agent/agent.js";
import {
  HeartbeatTransportError,
  ResourceActionError,
  type HeartbeatReply,
  type ResourceDriver,
} from "../agent/ports.js";
import type { AgentResourceSpec } from "../core/agent/spec.js";
import type { NodeDefinition } from "../core/definition/types.js";
import type { Oracle } from "./oracle.js";
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";
import type { Trace } from "./trace.js";
import { WORLD_LIMITS } from "./liveness.js";
import { inWindow } from "./world/ec2.js";

interface StartOp {
  killed: boolean;
}

interface Process {
  readonly spec: AgentResourceSpec;
  readonly group: string;
  up: boolean;
  readonly starts: Set<StartOp>;
}

interface Incarnation {
  readonly n: number;
  readonly agent: Agent;
  readonly startedAt: number;
  alive: boolean;
}

export interface NetworkWindows {
  /** Heartbeats from this node never reach AWS. */
  toAws: [number, number][];
  /** Answers to this node are lost. */
  fromAws: [number, number][];
  /** Heartbeats and answers take 0.5..3 s each way. */
  slow: [number, number][];
  /** Half the heartbeats or answers are lost. */
  lossy: [number, number][];
}

export interface MachineWorld {
  readonly sched: Scheduler;
  readonly oracle: Oracle;
  readonly trace: Trace;
  /** The heartbeat function as deployed now. */
  invokeHeartbeat(body: string, callerArn: string): Promise<{ status: number; body: unknown }>;
  /** Whether the volume is attached (state attached) to the instance. */
  volumeAttached(volumeId: string, instanceId: string): boolean;
  unmounted(instanceId: string, volumeId: string): void;
  /** Absolute time phase one ends. */
  readonly phaseOneEnd: number;
  /** Whether the group is fenced by stop-instance (a hung agent is then the controller's to fence). */
  groupFenced(groupId: string): boolean;
}

export class Machine {
  powered = true;
  pausedUntil = -Infinity;
  readonly net: NetworkWindows = { toAws: [], fromAws: [], slow: [], lossy: [] };
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
  /**
   * Armed: the machine stalls this long (a CPU-starved VM: the agent and the programs it runs alike) as its next
   * stop is issued; every start or stop issued before the stall ends begins when it ends.
   */
  stallAtNextStop: number | undefined;
  private stalledUntil = -Infinity;
  /**
   * The second agent model (docs/simulation.md, `Schedule.offlineOnExit`): a resource the agent believes online
   * whose process has exited (and that is not being started) is reported `offline` until the agent notices at its
   * check and restarts it; the reference agent reports it `online` until then. Everything else is the reference's.
   */
  offlineOnExit = false;
  /** World time the agent last sent a heartbeat (lost or not). */
  lastSentAt = -Infinity;
  private readonly processes = new Map<string, Process>();
  private incarnation: Incarnation | undefined;
  private count = 0;
  private readonly drift: number;

  constructor(
    readonly def: NodeDefinition,
    private readonly world: MachineWorld,
    private readonly rng: Prng,
    private readonly groupOf: (resourceId: string) => string,
  ) {
    // The monotonic clock's rate error: within ±0.05 %.
    this.drift = (rng.next() - 0.5) * 1e-3;
  }

  get id(): string {
    return this.def.id;
  }

  get instanceId(): string | undefined {
    return this.def.kind === "ec2" ? this.def.instanceId : undefined;
  }

  /** Between `systemctl restart`'s SIGTERM and the end of the old agent (it leaves: stops its resources first). */
  /**
   * Whether the current boot of the agent has had an answer delivered (a known liveness gap: a boot that never
   * had one reports nothing of its groups, neither running nor fenced, and the controller does not notice).
   */
  answeredThisBoot = false;
  restarting = false;

  get agentAlive(): boolean {
    return this.incarnation?.alive === true;
  }

  private get sched(): Scheduler {
    return this.world.sched;
  }

  private trace(text: string): void {
    this.world.trace.add(`${this.id}: ${text}`);
  }

  private callerArn(): string {
    // How API Gateway shows a session of the node's role (the definition's principal; no path in a session's ARN).
    const role = this.def.principal.split("/").pop() ?? "";
    return `arn:aws:sts::123456789012:assumed-role/${role}/${this.def.kind === "ec2" ? this.def.instanceId : "agent"}`;
  }

  // ---- processes, as the oracle sees them ----

  private proc(spec: AgentResourceSpec): Process {
    let p = this.processes.get(spec.id);
    if (!p) this.processes.set(spec.id, (p = { spec, group: this.groupOf(spec.id), up: false, starts: new Set() }));
    return p;
  }

  private update(p: Process): void {
    this.world.oracle.setRunning(p.group, this.id, p.spec.id, p.up || p.starts.size > 0);
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
      if ((p.up || p.starts.size > 0) && !this.world.groupFenced(p.group)) return false;
    return true;
  }

  /** Real (world) milliseconds for `ms` of the agent's monotonic clock. */
  realMs(ms: number): number {
    return ms / (1 + this.drift);
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
    if (p.spec.type === "mount") this.world.unmounted(this.instanceId ?? "", p.spec.volumeId);
    this.update(p);
  }

  // ---- faults ----

  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    this.trace("power off");
    this.endAgent();
    for (const p of this.processes.values()) this.kill(p, "power off");
    for (const h of [...this.held.values()]) h.release();
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.trace("power on, booting");
    this.sched.after(this.rng.int(3000, 10000), () => this.bootAgent());
  }

  /** The agent process dies (crash, OOM): systemd kills its control group, then starts it again. */
  crashAgent(): void {
    if (!this.powered || !this.incarnation?.alive) return;
    this.trace("agent crashes (KillMode=control-group: its command resources die with it)");
    this.endAgent();
    this.killChildren();
    this.sched.after(this.rng.int(1000, 5000), () => this.bootAgent());
  }

  /** `systemctl restart baton-agent`: SIGTERM (the agent leaves), then the control group is killed and a new agent starts. */
  restartAgent(): void {
    const inc = this.incarnation;
    if (!this.powered || !inc?.alive) return;
    this.trace("systemctl restart baton-agent (SIGTERM)");
    this.restarting = true;
    let done = false;
    const next = (): void => {
      if (done || this.incarnation !== inc || !inc.alive) return;
      done = true;
      this.restarting = false;
      this.endAgent();
      this.killChildren();
      this.sched.after(this.rng.int(100, 1000), () => this.bootAgent());
    };
    void inc.agent.finished.then(next);
    this.deliver(inc, () => inc.agent.leave("SIGTERM"));
    this.sched.after(90_000, next); // TimeoutStopSec
  }

  /** `systemctl stop baton-agent` (a drain): SIGTERM, the agent stops its resources and leaves; no new agent. */
  stopAgent(): void {
    const inc = this.incarnation;
    if (!this.powered || !inc?.alive) return;
    this.trace("systemctl stop baton-agent (SIGTERM)");
    const end = (): void => {
      if (this.incarnation !== inc || !inc.alive) return;
      this.endAgent();
      this.killChildren();
    };
    void inc.agent.finished.then(end);
    this.deliver(inc, () => inc.agent.leave("SIGTERM"));
    this.sched.after(90_000, end); // TimeoutStopSec
  }

  pauseAgent(ms: number): void {
    this.trace(`agent paused for ${ms} ms`);
    this.pausedUntil = Math.max(this.pausedUntil, this.sched.now + ms);
  }

  crashResource(resourceId: string): void {
    const p = this.processes.get(resourceId);
    if (!p?.up || p.spec.type === "mount") return;
    this.trace(`${resourceId} process dies`);
    p.up = false;
    this.update(p);
  }

  private killChildren(): void {
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

  private endAgent(): void {
    if (this.incarnation) this.incarnation.alive = false;
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
      this.world.oracle.setRunning(group, this.id, label, false);
      this.trace(`${label} let go`);
      this.world.unmounted(this.instanceId ?? "", volumeId);
    };
    this.held.set(volumeId, { resource, group, release });
    this.world.oracle.setRunning(group, this.id, label, true);
  }

  // ---- the agent ----

  bootAgent(): void {
    if (!this.powered || this.incarnation?.alive) return;
    const n = ++this.count;
    const bootId = uuid(this.rng);
    const startedAt = this.sched.now;
    const self: { inc?: Incarnation } = {};
    const deliver = (fn: () => void): void => {
      if (self.inc) this.deliver(self.inc, fn);
    };
    const agent = new Agent(this.id, {
      bootId,
      clock: { now: () => (this.sched.now - startedAt) * (1 + this.drift) + 1_000 },
      timers: {
        setTimeout: (callback, ms) => this.sched.after(ms / (1 + this.drift), () => deliver(callback)),
        clearTimeout: (handle) => (handle as { cancel(): void }).cancel(),
      },
      transport: (timeoutMs) => ({
        send: (body) => this.send(body, timeoutMs / (1 + this.drift), deliver),
        close: () => undefined,
      }),
      drivers: (spec) => this.driver(spec, deliver),
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m) => this.trace(`agent warn: ${m}`),
        error: (m) => this.trace(`agent error: ${m}`),
      },
    });
    const inc: Incarnation = { n, agent, startedAt, alive: true };
    self.inc = inc;
    this.incarnation = inc;
    this.answeredThisBoot = false;
    this.trace(`agent boot ${n} (${bootId.slice(0, 8)})`);
    agent.start();
  }

  /** Runs `fn` in the agent, unless that agent is gone; while paused, once the pause ends. */
  private deliver(inc: Incarnation, fn: () => void): void {
    if (!inc.alive || this.incarnation !== inc) return;
    if (this.sched.now < this.pausedUntil) {
      this.sched.at(this.pausedUntil, () => this.deliver(inc, fn));
      return;
    }
    fn();
  }

  private send(body: unknown, timeoutMs: number, deliver: (fn: () => void) => void): Promise<HeartbeatReply> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        deliver(fn);
      };
      const sentAt = this.sched.now;
      this.lastSentAt = sentAt;
      const seq = (body as { seq?: number }).seq;
      if (this.offlineOnExit) body = this.reportExited(body);
      this.sched.after(timeoutMs, () =>
        settle(() => reject(new HeartbeatTransportError(`no answer within ${Math.round(timeoutMs)} ms`))),
      );
      const leg = (): number =>
        inWindow(this.net.slow, this.sched.now) ? this.rng.int(500, 3000) : this.rng.int(5, 80);
      const lost = (windows: [number, number][]): boolean =>
        !this.powered ||
        inWindow(windows, this.sched.now) ||
        (inWindow(this.net.lossy, this.sched.now) && this.rng.chance(0.5));
      if (lost(this.net.toAws)) {
        this.trace(`heartbeat ${seq} lost on the way`);
        return;
      }
      this.sched.after(leg(), () => {
        void this.world.invokeHeartbeat(JSON.stringify(body), this.callerArn()).then((reply) => {
          if (lost(this.net.fromAws)) {
            this.trace(`answer to heartbeat ${seq} (HTTP ${reply.status}) lost on the way back`);
            return;
          }
          this.sched.after(leg(), () => {
            if (this.sched.now - sentAt > timeoutMs) return;
            settle(() => {
              this.answeredThisBoot = true;
              resolve(reply);
            });
          });
        });
      });
    });
  }

  /** The second agent model's report: what the reference reports, but a resource whose process has exited is `offline`. */
  private reportExited(body: unknown): unknown {
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

  private driver(spec: AgentResourceSpec, deliver: (fn: () => void) => void): ResourceDriver {
    const p = this.proc(spec);
    const call = (
      what: string,
      timeoutMs: number,
      work: (finish: (ok: boolean, why?: string) => void) => void,
    ): Promise<void> => {
      if (what === "stop" && this.stallAtNextStop !== undefined) {
        const ms = this.stallAtNextStop;
        this.stallAtNextStop = undefined;
        this.trace(`the machine stalls ${ms} ms as it issues a stop`);
        this.stalledUntil = this.sched.now + ms;
        this.pauseAgent(ms);
      }
      if (this.sched.now < this.stalledUntil) {
        const until = this.stalledUntil;
        return new Promise<void>((resolve) => this.sched.at(until, resolve)).then(() => call(what, timeoutMs, work));
      }
      return new Promise((resolve, reject) => {
        let settled = false;
        const end = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          deliver(fn);
        };
        const timer = this.sched.after(timeoutMs / (1 + this.drift), () =>
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
          if (!this.powered) return;
          const op: StartOp = { killed: false };
          p.starts.add(op);
          this.update(p);
          // A start sometimes hangs for a while (a slow disk, a lock): by fault, or 8 % of the starts that
          // begin in phase one (10..20 s, so that it is over before liveness is judged).
          const hang = this.hangNext.start.delete(spec.id);
          const stall = !hang && this.sched.now < this.world.phaseOneEnd && this.rng.chance(0.08);
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
            const attached = spec.type !== "mount" || this.world.volumeAttached(spec.volumeId, this.instanceId ?? "");
            if (attached) p.up = true;
            this.update(p);
            this.trace(`${spec.id} start ${attached ? "done: up" : "failed: device not found"}`);
            finish(attached, "device not found");
          });
        }),
      stop: (timeoutMs: number, signal?: AbortSignal) =>
        call("stop", timeoutMs, (finish) => {
          if (!this.powered) return;
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
            if (!this.powered || killed) return;
            done = true;
            const wasUp = p.up;
            p.up = false;
            this.update(p);
            const holdMs = spec.type === "mount" && wasUp ? this.lieNextUnmount.get(spec.id) : undefined;
            if (spec.type === "mount" && holdMs !== undefined) {
              this.lieNextUnmount.delete(spec.id);
              this.hold(spec.id, spec.volumeId, p.group, holdMs);
            } else if (spec.type === "mount") this.world.unmounted(this.instanceId ?? "", spec.volumeId);
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

function uuid(rng: Prng): string {
  const hex = (n: number): string => Array.from({ length: n }, () => "0123456789abcdef"[rng.int(0, 15)]).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}
