/**
 * The controller Lambda on the virtual clock: the REAL handler (`createControllerHandler`, which runs
 * `runPass` every tick and takes the controller lease), invoked by the one-minute schedule, each invocation
 * on a Lambda host whose clock is off by up to ±50 ms. Faults per invocation:
 * - crash at its k-th call to a port (any await on AWS or the table): that call and every later one never
 *   answer, the pass is abandoned where it stood (what it wrote stays written);
 * - pause at its k-th call for longer than the controller lease, after which the call goes ahead (a frozen
 *   Lambda host that wakes up and acts on what it saw before);
 * - an extra invocation at any moment (`{"passes": N}`), so two controllers run at once.
 * Scheduled and woken invocations make passes while a move waits on the controller's AWS calls, and end when none
 * does (lib/handlers/controller.ts); the heartbeat function wakes them (`wake`).
 */
import { lastPassStart } from "../core/controller/invocation.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import type { ControllerDependencies } from "../controller/dependencies.js";
import { createControllerHandler } from "../handlers/controller.js";
import { CONTROLLER_SCHEDULE_MS } from "../infra/schedule.js";
import type { Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";
import type { Trace } from "./trace.js";
import type { SimDns } from "./world/dns.js";
import type { SimEc2 } from "./world/ec2.js";
import type { SimTable } from "./world/table.js";

export interface InvocationFaults {
  /** The invocation dies at this call to its ports (0-based). */
  readonly crashAtCall?: number;
  /** The invocation freezes before this call for `pauseMs`. */
  readonly pauseAtCall?: number;
  readonly pauseMs?: number;
}

export interface ControllerWorld {
  readonly sched: Scheduler;
  readonly trace: Trace;
  readonly table: SimTable;
  readonly ec2: SimEc2;
  readonly dns: SimDns;
  definition(): ClusterDefinition;
}

export class Controllers {
  private count = 0;
  /** When each scheduled invocation starts (known in advance: the world's own schedule). */
  readonly scheduledStarts: number[] = [];
  /**
   * When passes will start, as far as the world knows: every invocation runs one pass per tick from its start
   * (a scheduled one until its last pass start, `lastPassStart` in lib/core/controller/invocation.ts), for faults that
   * aim at a pass.
   */
  passStarts(from: number, to: number): number[] {
    const tick = this.world.definition().timing.controllerTickMs;
    const runs = [
      ...this.invocations,
      ...this.scheduledStarts
        .filter((s) => s > this.world.sched.now)
        .map((start) => ({ start, tick, passes: Infinity })),
    ];
    const out: number[] = [];
    for (const r of runs) {
      const last =
        r.passes === Infinity
          ? lastPassStart({ startedAt: r.start, scheduleMs: CONTROLLER_SCHEDULE_MS, tickMs: r.tick })
          : r.start + (r.passes - 1) * r.tick;
      for (let t = r.start; t <= Math.min(last, to); t += r.tick) if (t >= from) out.push(t);
    }
    return out.sort((a, b) => a - b);
  }
  private readonly invocations: { start: number; tick: number; passes: number }[] = [];
  /** Called when an invocation dies or freezes (a controller fault, AWS's side), with the time it strikes. */
  onFault: (kind: "crash" | "pause", at: number, ms: number) => void = () => undefined;

  constructor(
    private readonly world: ControllerWorld,
    private readonly rng: Prng,
    private readonly faults: ReadonlyMap<number, InvocationFaults>,
  ) {}

  /** The EventBridge schedule: an invocation every minute from `first`, until `end`. */
  schedule(first: number, end: number): void {
    for (let at = first; at < end; at += CONTROLLER_SCHEDULE_MS) {
      const scheduledAt = at;
      const startsAt = at + this.rng.int(0, 1500);
      this.scheduledStarts.push(startsAt);
      this.world.sched.at(startsAt, () => this.invoke({ time: new Date(scheduledAt).toISOString() }));
    }
  }

  /**
   * A wake-up from the heartbeat function: Lambda queues the asynchronous invocation and starts it a moment later.
   * Not throttled by a running invocation here (reserved concurrency would hold it back, or drop it): two
   * controllers at once is the harder case for safety. `passStarts` does not foresee wake-ups.
   */
  wake(reason: unknown): void {
    this.wakeUps++;
    const delay = this.rng.int(20, 400);
    this.world.sched.at(this.world.sched.now + delay, () => this.invoke({ wake: reason }));
  }
  wakeUps = 0;

  /** A manual or leaked invocation running `passes` passes. */
  extra(passes: number): void {
    this.invoke({ passes });
  }

  private invoke(event: { time?: string; passes?: number; wake?: unknown }): void {
    const n = this.count++;
    const faults = this.faults.get(n) ?? {};
    const { sched, trace } = this.world;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the proxy's handler has its own `this`
    const controllers = this;
    const offset = this.rng.int(-50, 50);
    const holder = `inv-${n}`;
    let calls = 0;
    let dead = false;
    trace.add(
      `controller ${holder} starts${event.passes ? ` (${event.passes} passes)` : event.wake ? ` (woken: ${JSON.stringify(event.wake)})` : ""}, clock ${offset >= 0 ? "+" : ""}${offset} ms`,
    );
    const wrap = <T extends object>(name: string, target: T): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver) as unknown;
          if (typeof value !== "function") return value;
          return async (...args: unknown[]) => {
            const call = calls++;
            if (dead) return Scheduler.never();
            if (call === faults.crashAtCall) {
              dead = true;
              trace.add(`controller ${holder} dies at call ${call} (${name}.${String(property)})`);
              controllers.onFault("crash", sched.now, 0);
              return Scheduler.never();
            }
            if (call === faults.pauseAtCall && faults.pauseMs) {
              trace.add(`controller ${holder} freezes for ${faults.pauseMs} ms before ${name}.${String(property)}`);
              controllers.onFault("pause", sched.now, faults.pauseMs);
              await sched.sleep(faults.pauseMs);
              trace.add(`controller ${holder} wakes and goes on with ${name}.${String(property)}`);
            }
            return (value as (...a: unknown[]) => unknown).apply(object, args);
          };
        },
      });
    const definition = this.world.definition();
    this.invocations.push({
      start: sched.now,
      tick: definition.timing.controllerTickMs,
      passes: event.passes ?? Infinity,
    });
    const deps: ControllerDependencies = {
      definition,
      store: wrap("table", this.world.table.store),
      ec2: wrap("ec2", this.world.ec2),
      dns: wrap("dns", this.world.dns),
      notifier: wrap("sns", { publish: () => sched.sleep(this.rng.int(10, 50)) }),
      clock: { now: () => sched.now + offset },
      holder,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const handler = createControllerHandler({
      passDependencies: () => deps,
      metrics: {
        addMetric: () => undefined,
        publishStoredMetrics: () => undefined,
        singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
      },
      detailedMetrics: false,
      eventBus: { publish: () => Promise.resolve() },
      sleep: (ms) => (dead ? Scheduler.never() : sched.sleep(ms)),
    });
    // Lambda's clock for the function's 70 s timeout (lib/infra/controller-function.ts), not the controller's.
    const deadline = sched.now + 70_000;
    handler(event, { awsRequestId: holder, getRemainingTimeInMillis: () => deadline - sched.now }).then(
      () => trace.add(`controller ${holder} ends`),
      (error: unknown) =>
        trace.add(`controller ${holder} fails: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}
