import { describe, expect, it } from "vitest";
import { createControllerHandler } from "../../../lib/handlers/controller.js";
import { Simulation } from "../../support/simulation.js";

// The controller function's edges: what it does with an event that is not what it expects, and how
// many passes fit in the time Lambda gives it. The function is killed at its timeout, mid-pass and
// holding the controller lease, if it starts a pass it cannot finish.

/**
 * A handler over a fresh simulation; each pass reads the table in `passMs` of simulated time. With `moving`,
 * db-a has fallen silent and postgres's failover is under way, held at its fencing step (db-a's instance never
 * reaches `stopped`): a move that waits on the controller's own AWS calls.
 */
function setup(passMs = 0, { moving = false }: { moving?: boolean } = {}) {
  const sim = new Simulation(moving ? { ec2: { stopDescribes: 1_000_000 } } : {});
  const deps = sim.dependencies("inv-1");
  const passes: { start: number; end: number }[] = [];
  const store = new Proxy(deps.store, {
    get(target, property, receiver) {
      if (property === "readSnapshot") {
        return async () => {
          const start = sim.now;
          sim.now += passMs;
          const snapshot = await target.readSnapshot();
          passes.push({ start, end: sim.now });
          return snapshot;
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const handler = createControllerHandler({
    passDependencies: () => ({ ...deps, store }),
    metrics: {
      addMetric: () => undefined,
      publishStoredMetrics: () => undefined,
      singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
    },
    detailedMetrics: true,
    eventBus: { publish: () => Promise.resolve() },
    sleep: (ms) => {
      sim.now += ms;
      return Promise.resolve();
    },
  });
  /** Lambda's context for an invocation whose timeout ends `remainingMs` after it starts. */
  const context = (remainingMs: number) => {
    const deadline = sim.now + remainingMs;
    return { awsRequestId: "inv-1", getRemainingTimeInMillis: () => deadline - sim.now };
  };
  return { sim, handler, passes, context, moving };
}

/** `setup` with postgres's failover started and held at fencing (see `setup`). */
async function setupMoving(passMs = 0) {
  const setUp = setup(passMs, { moving: true });
  await setUp.sim.advance(30_000);
  setUp.sim.silence("db-a");
  await setUp.sim.advance(20_000);
  const postgres = setUp.sim.store.groups.get("postgres");
  if (postgres?.plan?.steps[postgres.plan.stepIndex]?.kind !== "fence")
    throw new Error(`the test's failover is not at its fencing step: ${JSON.stringify(postgres?.plan)}`);
  setUp.passes.length = 0;
  return setUp;
}

describe("controller function events", () => {
  it("takes a null event as a scheduled invocation, as it takes {}", async () => {
    // Prepare: a move in flight, so a scheduled invocation makes a pass every tick.
    const { handler, passes, context } = await setupMoving();
    // Act
    const result = await handler(null, context(70_000));
    // Assess: controllerTick 2 s (examples/cluster.yaml): passes at 0, 2, ..., 56 s (60 s - tick - 2 s): 29.
    expect(result).toMatchObject({ passes: 29 });
    expect(passes).toHaveLength(29);
  });

  it.each([5, "passes", [1], true])(
    "refuses an event that is not an object (%j) with a clear error, making no pass",
    async (event) => {
      // Prepare
      const { handler, passes, context } = setup();
      // Act
      const result = await handler(event, context(70_000));
      // Assess
      expect(result).toEqual({
        error: `the event must be a JSON object: {"passes": N} for N passes now, or a scheduled event; received ${JSON.stringify(event)}`,
      });
      expect(passes).toEqual([]);
    },
  );
});

describe("controller passes within the function's time", () => {
  it("makes fewer manual passes than asked rather than be killed mid-pass, and says so", async () => {
    // Prepare: 20 s left; each pass takes 3 s, longer than the 2 s tick, so they run back to back.
    const { sim, handler, passes, context } = setup(3_000);
    const start = sim.now;
    // Act
    const result = await handler({ passes: 100 }, context(20_000));
    // Assess: every pass ended before the timeout, with 2 s to spare at least; 20 s / 3 s allows 6 passes at
    // most, and a margin of about two passes leaves 4 or more.
    const last = passes[passes.length - 1]!;
    expect(last.end).toBeLessThanOrEqual(start + 20_000 - 2_000);
    expect(sim.now).toBeLessThanOrEqual(start + 20_000);
    expect(passes.length).toBeGreaterThanOrEqual(4);
    expect(result).toMatchObject({ passes: passes.length });
    expect(result).toHaveProperty(
      "cutShort",
      expect.stringContaining(`made ${passes.length} of the 100 passes asked`) as unknown,
    );
  });

  it("ends a scheduled invocation before its timeout even when that comes before the next schedule", async () => {
    // Prepare: 30 s left (a function timeout shorter than the one-minute schedule), a move in flight.
    const { sim, handler, passes, context } = await setupMoving(500);
    const start = sim.now;
    // Act
    const result = await handler({ time: new Date(sim.now).toISOString() }, context(30_000));
    // Assess: passes every 2 s; the last one ends with 2 s to spare at least, and none is skipped early:
    // passes start at 0, 2, ... so at least 10 (the first 20 s).
    expect(passes[passes.length - 1]!.end).toBeLessThanOrEqual(start + 30_000 - 2_000);
    expect(passes.length).toBeGreaterThanOrEqual(10);
    expect(result).toMatchObject({ passes: passes.length });
    expect(result).not.toHaveProperty("cutShort");
  });

  it("makes one pass and ends when nothing is in flight (the heartbeat function wakes it for work)", async () => {
    // Prepare: a quiet cluster.
    const { sim, handler, passes, context } = setup();
    await sim.advance(30_000);
    passes.length = 0;
    // Act
    const result = await handler({ time: new Date(sim.now).toISOString() }, context(70_000));
    // Assess
    expect(passes).toHaveLength(1);
    expect(result).toMatchObject({ passes: 1 });
  });

  it("takes a wake-up from the heartbeat function as a scheduled invocation", async () => {
    // Prepare
    const { sim, handler, passes, context } = setup();
    await sim.advance(30_000);
    passes.length = 0;
    // Act
    const result = await handler({ wake: { kind: "peer-silent", nodeId: "db-a" } }, context(70_000));
    // Assess
    expect(passes).toHaveLength(1);
    expect(result).toMatchObject({ passes: 1 });
  });

  it("goes on every tick while a move waits on the controller's own AWS calls, until shortly before the next minute", async () => {
    // Prepare: postgres's failover held at fencing.
    const { sim, handler, passes, context } = await setupMoving();
    const start = sim.now;
    // Act
    const result = await handler({ time: new Date(sim.now).toISOString() }, context(70_000));
    // Assess: controllerTick 2 s: passes at 0, 2, ..., 56 s (60 s - tick - 2 s): 29.
    expect(passes.map((p) => p.start - start)).toEqual(Array.from({ length: 29 }, (_, i) => i * 2_000));
    expect(result).toMatchObject({ passes: 29 });
  });

  it("makes no pass at all when not even one fits, and says so", async () => {
    // Prepare
    const { handler, passes, context } = setup();
    // Act
    const result = await handler({ passes: 1 }, context(1_000));
    // Assess
    expect(passes).toEqual([]);
    expect(result).toHaveProperty("skipped", expect.stringContaining("1000 ms left") as unknown);
  });
});
