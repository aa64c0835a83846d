/**
 * One node: its power, its processes (the resources as they really run), and the REAL `Agent` running on
 * the virtual clock with a simulated transport and simulated drivers (lib/sim/processes.ts: what really runs
 * here, and how the drivers start and stop it).
 *
 * `systemctl restart` (SIGTERM or SIGUSR2, then KillMode=control-group) kills the agent, once it has stopped what it
 * runs, and its `command` resources (its children); mounts stay, systemd units run on. A crash: the same at once.
 * A power-off ends everything at once. A pause (SIGSTOP, a stuck process) delays everything the agent would
 * do or learn, while its resources run on.
 */
import { Agent } from "../agent/agent.js";
import type { HeartbeatReply } from "../agent/edges.js";
import type { NodeDefinition } from "../core/definition/types.js";
import type { Oracle } from "./oracle.js";
import { uuidFrom, type Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";
import type { Trace } from "./trace.js";
import { Processes } from "./processes.js";
import { carryHeartbeat, type NetworkWindows } from "./network.js";

/** The unit's TimeoutStopSec (packaging/baton-agent.service). */
const TIMEOUT_STOP_MS = 300_000;
type KillSignal = "SIGTERM" | "SIGUSR2";

interface Incarnation {
  readonly n: number;
  readonly agent: Agent;
  readonly startedAt: number;
  alive: boolean;
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
  /** What really runs here, and the simulated drivers the agent starts and stops it with. */
  readonly processes: Processes;
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
    this.processes = new Processes({
      nodeId: def.id,
      instanceId: this.instanceId ?? "",
      sched: world.sched,
      rng,
      oracle: world.oracle,
      phaseOneEnd: world.phaseOneEnd,
      powered: () => this.powered,
      trace: (text) => this.trace(text),
      groupOf,
      groupFenced: (groupId) => world.groupFenced(groupId),
      volumeAttached: (volumeId) => world.volumeAttached(volumeId, this.instanceId ?? ""),
      unmounted: (volumeId) => world.unmounted(this.instanceId ?? "", volumeId),
      realMs: (ms) => this.realMs(ms),
      stalledUntil: (what) => this.stalledUntilFor(what),
    });
  }

  get id(): string {
    return this.def.id;
  }

  get instanceId(): string | undefined {
    return this.def.kind === "ec2" ? this.def.instanceId : undefined;
  }

  /**
   * Whether the current boot of the agent has had an answer delivered (a known liveness gap: a boot that never
   * had one reports nothing of its groups, neither running nor fenced, and the controller does not notice).
   */
  answeredThisBoot = false;
  /** Between `systemctl restart`'s signal and the end of the old agent (it stops its resources first). */
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

  /** Real (world) milliseconds for `ms` of the agent's monotonic clock. */
  realMs(ms: number): number {
    return ms / (1 + this.drift);
  }

  // ---- faults ----

  powerOff(): void {
    if (!this.powered) return;
    this.powered = false;
    this.trace("power off");
    this.endAgent();
    this.processes.killAll();
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
    this.processes.killChildren();
    this.sched.after(this.rng.int(1000, 5000), () => this.bootAgent());
  }

  /**
   * `systemctl restart baton-agent`: the unit's RestartKillSignal=SIGUSR2 (systemd 244+: the agent stops its resources
   * and exits without leaving, docs/agent.md) or SIGTERM (older: it leaves); at its exit (or TimeoutStopSec) the
   * control group is killed, and a new agent starts after RestartSec, or `bootDelayMs` (late: past lease + grace).
   * `sigtermAfterMs`: a SIGTERM (`systemctl kill`, a shutdown script) overtakes the restart: it is a leave.
   */
  restartAgent(signal: KillSignal = "SIGTERM", o: { bootDelayMs?: number; sigtermAfterMs?: number } = {}): void {
    const inc = this.incarnation;
    if (!this.powered || !inc?.alive) return;
    this.trace(`systemctl restart baton-agent (${signal}${o.bootDelayMs ? `, boot ${o.bootDelayMs} ms after` : ""})`);
    this.restarting = true;
    this.stopUnit(inc, signal, () => {
      this.restarting = false;
      this.sched.after(o.bootDelayMs ?? this.rng.int(100, 1000), () => this.bootAgent());
    });
    if (signal === "SIGUSR2" && o.sigtermAfterMs !== undefined)
      this.sched.after(o.sigtermAfterMs, () =>
        this.deliver(inc, () => {
          this.trace("SIGTERM while stopping for the restart");
          inc.agent.leave("SIGTERM");
        }),
      );
  }

  /** `systemctl stop baton-agent` (a drain): SIGTERM, the agent stops its resources and leaves; no new agent. */
  stopAgent(): void {
    const inc = this.incarnation;
    if (!this.powered || !inc?.alive) return;
    this.trace("systemctl stop baton-agent (SIGTERM)");
    this.stopUnit(inc, "SIGTERM", () => undefined);
  }

  /** The kill signal to the main process; once it exits (or at TimeoutStopSec) the control group is killed. */
  private stopUnit(inc: Incarnation, signal: KillSignal, then: () => void): void {
    let done = false;
    const end = (): void => {
      if (done || this.incarnation !== inc || !inc.alive) return;
      done = true;
      this.endAgent();
      this.processes.killChildren();
      then();
    };
    void inc.agent.finished.then(end);
    this.deliver(inc, () =>
      signal === "SIGTERM" ? inc.agent.leave("SIGTERM") : inc.agent.leave("SIGUSR2 (restart)", "restart"),
    );
    this.sched.after(TIMEOUT_STOP_MS, end);
  }

  pauseAgent(ms: number): void {
    this.trace(`agent paused for ${ms} ms`);
    this.pausedUntil = Math.max(this.pausedUntil, this.sched.now + ms);
  }

  /**
   * World time until which the machine stalls as it issues a start or stop: a stall armed for the next stop
   * (`stallAtNextStop`) begins as that stop is issued, and pauses the agent alike.
   */
  private stalledUntilFor(what: "start" | "stop"): number {
    if (what === "stop" && this.stallAtNextStop !== undefined) {
      const ms = this.stallAtNextStop;
      this.stallAtNextStop = undefined;
      this.trace(`the machine stalls ${ms} ms as it issues a stop`);
      this.stalledUntil = this.sched.now + ms;
      this.pauseAgent(ms);
    }
    return this.stalledUntil;
  }

  private endAgent(): void {
    if (this.incarnation) this.incarnation.alive = false;
  }

  // ---- the agent ----

  bootAgent(): void {
    if (!this.powered || this.incarnation?.alive) return;
    const n = ++this.count;
    const bootId = uuidFrom(this.rng);
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
      drivers: (spec) => this.processes.driver(spec, deliver),
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
    this.lastSentAt = this.sched.now;
    return carryHeartbeat(
      {
        sched: this.sched,
        rng: this.rng,
        net: this.net,
        powered: () => this.powered,
        trace: (text) => this.trace(text),
        invoke: (json) => this.world.invokeHeartbeat(json, this.callerArn()),
        deliver,
        answered: () => (this.answeredThisBoot = true),
      },
      this.offlineOnExit ? this.processes.reportExited(body) : body,
      timeoutMs,
    );
  }
}
