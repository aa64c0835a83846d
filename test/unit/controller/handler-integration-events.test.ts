import { describe, expect, it } from "vitest";
import type { IntegrationEvent } from "../../../lib/core/controller/integration-events.js";
import { createControllerHandler } from "../../../lib/handlers/controller.js";
import { Simulation } from "../../support/simulation.js";

// Events for integrations (docs/events.md), through the real handler: a node falling silent gives Node Down, the
// failover's start and completion, with the cluster, group, epoch, source, target and durations; its return, Node Up.

function setup() {
  const sim = new Simulation();
  const published: IntegrationEvent[] = [];
  const handler = createControllerHandler({
    passDependencies: (holder) => sim.dependencies(holder),
    metrics: {
      addMetric: () => undefined,
      publishStoredMetrics: () => undefined,
      singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
    },
    detailedMetrics: true,
    eventBus: { publish: (events) => Promise.resolve(void published.push(...events)) },
    sleep: (ms) => sim.advance(ms, { passes: false }),
  });
  // One scheduled invocation; the next one a minute after this one began (the schedule's rate), as a quiet
  // cluster's invocation ends after one pass.
  const invoke = async () => {
    const at = sim.now;
    const deadline = sim.now + 70_000;
    await handler(
      { time: new Date(sim.now).toISOString() },
      { awsRequestId: `inv-${sim.now}`, getRemainingTimeInMillis: () => deadline - sim.now },
    );
    await sim.advance(Math.max(2_000, at + 60_000 - sim.now), { passes: false });
  };
  return { sim, invoke, published };
}

describe("integration events", () => {
  it("publish a node going down, the failover it causes, and the node coming back", async () => {
    // Prepare: the groups placed; then db-a (postgres's owner) falls silent.
    const { sim, invoke, published } = setup();
    sim.heartbeat();
    await invoke();
    const placed = published.splice(0);
    sim.silence("db-a");
    // Act
    for (let minute = 0; minute < 3; minute++) await invoke();
    sim.revive("db-a");
    // The minute after it revives, db-a heartbeats again; the next invocation sees it up.
    await invoke();
    await invoke();
    // Assess: the first pass finds no judgement stored: each node heard is up, for the first time; placing publishes
    // the starts.
    expect(placed.filter((e) => e.detailType === "Node Up").map((e) => e.detail.node)).toEqual([
      "db-a",
      "db-b",
      "office-1",
    ]);
    expect(placed.filter((e) => e.detailType === "Failover Started")).toHaveLength(2);
    const types = published.map((e) => e.detailType);
    expect(types.filter((t) => t === "Node Down")).toHaveLength(1);
    expect(types.filter((t) => t === "Node Up")).toHaveLength(1);
    const down = published.find((e) => e.detailType === "Node Down")!;
    expect(down.detail).toMatchObject({ cluster: "orders-db", node: "db-a", reason: "silent" });
    // Down once silent for longer than lease 10 s + grace 2 s (examples/cluster.yaml).
    expect(down.detail.silentForMs).toBeGreaterThan(12_000);
    const started = published.find((e) => e.detailType === "Failover Started")!;
    expect(started.detail).toMatchObject({
      cluster: "orders-db",
      group: "postgres",
      epoch: 2,
      kind: "failover",
      source: "db-a",
      target: "db-b",
    });
    expect(started.detail.detectionDelayMs).toBeGreaterThan(12_000);
    const completed = published.find((e) => e.detailType === "Failover Completed")!;
    expect(completed.detail).toMatchObject({ cluster: "orders-db", group: "postgres", epoch: 2, target: "db-b" });
    expect(completed.detail.durationMs).toBeGreaterThan(0);
    expect(types.indexOf("Node Down")).toBeLessThan(types.indexOf("Failover Completed"));
  });

  it("a node that went down while no controller ran is published by the next one, even after a cold start", async () => {
    // Prepare: one execution environment judges every node up.
    const first = setup();
    first.sim.heartbeat();
    await first.invoke();
    const { sim } = first;
    sim.silence("db-a");
    await sim.advance(20_000, { passes: false }); // no controller runs: past lease 10 s + grace 2 s
    // Act: a new execution environment (a cold start) over the same table.
    const published: IntegrationEvent[] = [];
    const handler = createControllerHandler({
      passDependencies: (holder) => sim.dependencies(holder),
      metrics: {
        addMetric: () => undefined,
        publishStoredMetrics: () => undefined,
        singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
      },
      detailedMetrics: true,
      eventBus: { publish: (events) => Promise.resolve(void published.push(...events)) },
      sleep: (ms) => sim.advance(ms, { passes: false }),
    });
    await handler({ passes: 1 }, { awsRequestId: "cold", getRemainingTimeInMillis: () => 60_000 });
    // Assess: db-a down, once; nobody else changed.
    const nodeEvents = published.filter((e) => e.detailType.startsWith("Node "));
    expect(nodeEvents.map((e) => [e.detailType, e.detail.node])).toEqual([["Node Down", "db-a"]]);
  });

  it("do not stop the controller when the event bus refuses them", async () => {
    // Prepare
    const sim = new Simulation();
    const errors: string[] = [];
    const handler = createControllerHandler({
      passDependencies: (holder) => ({
        ...sim.dependencies(holder),
        logger: { info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) },
      }),
      metrics: {
        addMetric: () => undefined,
        publishStoredMetrics: () => undefined,
        singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
      },
      detailedMetrics: true,
      eventBus: { publish: () => Promise.reject(new Error("AccessDeniedException")) },
      sleep: (ms) => sim.advance(ms, { passes: false }),
    });
    // Act
    const result = await handler({ passes: 3 }, { awsRequestId: "inv", getRemainingTimeInMillis: () => 60_000 });
    // Assess: the groups were placed all the same.
    expect(result).toMatchObject({ passes: 3 });
    expect(errors).toContain("events not put on the event bus");
    expect(sim.store.groups.get("postgres")?.owner).toBe("db-a");
  });
});
