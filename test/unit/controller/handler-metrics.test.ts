import { describe, expect, it } from "vitest";
import { CONTROLLER_METRICS } from "../../../lib/core/metric-names.js";
import { createControllerHandler } from "../../../lib/handlers/controller.js";
import { Simulation } from "../../support/simulation.js";

// An alarm on a state (frozen, failed, down) must stay in ALARM while the state lasts: the controller reports the
// state on every pass, idle or not (a quiet cluster's scheduled invocation makes one pass a minute), and the
// per-node gauge once per invocation. Through the real handler.

interface Line {
  readonly name: string;
  readonly value: number;
  readonly node?: string;
}

function setup(detailedMetrics = true) {
  const sim = new Simulation();
  const stored: Line[] = [];
  const published: Line[][] = [];
  const handler = createControllerHandler({
    passDependencies: (holder) => sim.dependencies(holder),
    metrics: {
      addMetric: (name, _unit, value) => void stored.push({ name, value }),
      publishStoredMetrics: () => void published.push(stored.splice(0)),
      singleMetric: () => {
        let node: string | undefined;
        return {
          addDimension: (_name: string, value: string) => void (node = value),
          addMetric: (name: string, _unit: unknown, value: number) => void published.push([{ name, value, node }]),
        };
      },
    },
    detailedMetrics,
    eventBus: { publish: () => Promise.resolve() },
    // The agents go on heartbeating while the controller sleeps between passes.
    sleep: (ms) => sim.advance(ms, { passes: false }),
  });
  // One scheduled invocation; the next one a minute after the last began (the schedule's rate).
  const invoke = async () => {
    const at = sim.now;
    const deadline = sim.now + 70_000;
    const result = await handler(
      { time: new Date(sim.now).toISOString() },
      { awsRequestId: "inv", getRemainingTimeInMillis: () => deadline - sim.now },
    );
    await sim.advance(at + 60_000 - sim.now, { passes: false });
    return result;
  };
  // Three scheduled invocations, a minute apart.
  const invokeThrice = async () => [await invoke(), await invoke(), await invoke()];
  const values = (name: string) => published.flat().filter((line) => line.name === name && line.node === undefined);
  return { sim, invokeThrice, published, values };
}

describe("controller metrics", () => {
  it("reports the cluster's state on every idle pass, and each node's once per invocation", async () => {
    // Prepare: every group placed and online, nothing left to do.
    const { sim, invokeThrice, published, values } = setup();
    await sim.advance(60_000);
    published.length = 0;
    // Act: three scheduled invocations; with nothing in flight each makes one pass and ends (docs/cost.md).
    const results = await invokeThrice();
    // Assess: every minute's invocation reports the state, though none did anything.
    for (const result of results) expect(result).toMatchObject({ passes: 1, events: [] });
    expect(values(CONTROLLER_METRICS.passes)).toHaveLength(3);
    for (const [name, value] of [
      [CONTROLLER_METRICS.guardFrozen, 0],
      [CONTROLLER_METRICS.nodesUp, 3],
      [CONTROLLER_METRICS.nodesDown, 0],
      [CONTROLLER_METRICS.groupsOnline, 2],
      [CONTROLLER_METRICS.groupsFailed, 0],
      [CONTROLLER_METRICS.groupsOverdue, 0],
      [CONTROLLER_METRICS.longestMove, 0],
    ] as const) {
      expect(values(name).map((l) => l.value)).toEqual(Array<number>(3).fill(value));
    }
    // Heartbeats every 2 s (examples/cluster.yaml): the up node heard longest ago, at most an interval ago.
    expect(Math.max(...values(CONTROLLER_METRICS.oldestHeartbeatAge).map((l) => l.value))).toBeLessThanOrEqual(2_000);
    expect(values(CONTROLLER_METRICS.failoversStarted)).toEqual([]);
    const nodes = published.flat().filter((l) => l.name === CONTROLLER_METRICS.nodeDown);
    const perInvocation = [
      { name: "NodeDown", value: 0, node: "db-a" },
      { name: "NodeDown", value: 0, node: "db-b" },
      { name: "NodeDown", value: 0, node: "office-1" },
    ];
    expect(nodes).toEqual([...perInvocation, ...perInvocation, ...perInvocation]);
    // The stored gauges and counters go out together: one metric line per invocation.
    expect(published.filter((line) => line.length > 1)).toHaveLength(3);
  });

  it("keeps reporting the guard frozen, and the silent nodes down, on every pass while it lasts", async () => {
    // Prepare: two of the three nodes fall silent at once: more than half, the guard freezes.
    const { sim, invokeThrice, values, published } = setup();
    await sim.advance(60_000);
    sim.silence("db-a");
    sim.silence("office-1");
    await sim.advance(60_000);
    published.length = 0;
    // Act: three invocations a minute apart, with nothing new to do.
    const results = await invokeThrice();
    // Assess: the state is reported every minute while it lasts.
    for (const result of results) expect(result).toMatchObject({ frozen: true, events: [] });
    expect(values(CONTROLLER_METRICS.guardFrozen).map((l) => l.value)).toEqual([1, 1, 1]);
    expect(values(CONTROLLER_METRICS.nodesDown).map((l) => l.value)).toEqual([2, 2, 2]);
    const nodes = published.flat().filter((l) => l.name === CONTROLLER_METRICS.nodeDown);
    const perInvocation = [
      ["db-a", 1],
      ["db-b", 0],
      ["office-1", 1],
    ];
    expect(nodes.map((l) => [l.node, l.value])).toEqual([...perInvocation, ...perInvocation, ...perInvocation]);
  });

  it("by default publishes only the gauges the default alarms watch: five metric names on a quiet cluster", async () => {
    // Prepare: every group placed and online, nothing left to do; detailed metrics off (the stack's default).
    const { sim, invokeThrice, published } = setup(false);
    await sim.advance(60_000);
    published.length = 0;
    // Act
    await invokeThrice();
    // Assess: controllerNotRunning, nodesDown, groupsFailed, groupsOverdue, guardFrozen (docs/alarms.md), each on
    // every pass; no per-node gauge, no other gauge, no zero AWS errors.
    const names = new Set(published.flat().map((line) => (line.node === undefined ? line.name : `${line.name}/node`)));
    expect([...names].sort()).toEqual([
      "ControllerPasses",
      "GroupsFailed",
      "GroupsOverdue",
      "GuardFrozen",
      "NodesDown",
    ]);
    expect(published.filter((line) => line.length > 0)).toHaveLength(3);
  });

  it("by default still reports a frozen guard and the nodes down on every pass while it lasts", async () => {
    // Prepare: two of the three nodes fall silent at once.
    const { sim, invokeThrice, values, published } = setup(false);
    await sim.advance(60_000);
    sim.silence("db-a");
    sim.silence("office-1");
    await sim.advance(60_000);
    published.length = 0;
    // Act
    await invokeThrice();
    // Assess
    expect(values(CONTROLLER_METRICS.guardFrozen).map((l) => l.value)).toEqual([1, 1, 1]);
    expect(values(CONTROLLER_METRICS.nodesDown).map((l) => l.value)).toEqual([2, 2, 2]);
    expect(published.flat().filter((l) => l.name === CONTROLLER_METRICS.nodeDown)).toEqual([]);
  });
});
