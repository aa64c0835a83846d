import { describe, expect, it } from "vitest";
import { StaleHeartbeatError } from "../../../lib/core/heartbeat/errors.js";
import type { GroupOwnership, HeartbeatStore } from "../../../lib/core/heartbeat/store.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { exampleIndex } from "../../support/example-cluster.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";

// The heartbeat function counts refusals by status and the answered heartbeats' latency, batched per execution
// environment: the heartbeat path must not cost a metric line per request (docs/alarms.md).

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function setup(detailedMetrics?: boolean) {
  let now = T0;
  let stale = false;
  const store: HeartbeatStore = {
    recordHeartbeat: () =>
      stale ? Promise.reject(new StaleHeartbeatError("seq 1 is not greater than 4", [])) : Promise.resolve(),
    readOwnership: () => Promise.resolve(new Map<string, GroupOwnership>()),
  };
  const pending: { name: string; value: number }[] = [];
  const published: { at: number; name: string; value: number }[] = [];
  const handler = createHeartbeatHandler({
    index: exampleIndex(),
    store,
    clock: { now: () => now },
    detailedMetrics,
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: {
      addMetric: (name, _unit, value) => void pending.push({ name, value }),
      publishStoredMetrics: () => void published.push(...pending.splice(0).map((m) => ({ ...m, at: now }))),
    },
  });
  const send = async (at: number, caller: string = CALLERS["db-a"], body = heartbeatBody("db-a")) => {
    now = T0 + at;
    return (await handler(heartbeatEvent(body, caller), LAMBDA_CONTEXT)).statusCode;
  };
  return { send, published, setStale: (value: boolean) => void (stale = value) };
}

describe("heartbeat function metrics", () => {
  it("counts a heartbeat refused with 403 at once, then refusals together at most every 10 s", async () => {
    // Prepare
    const { send, published } = setup();
    // Act: db-a's heartbeat signed by office-1's identity, every second for 12 s.
    const statuses: (number | undefined)[] = [];
    for (let s = 0; s <= 12; s++) statuses.push(await send(s * 1_000, CALLERS["office-1"]));
    // Assess
    expect(new Set(statuses)).toEqual(new Set([403]));
    const forbidden = published.filter((m) => m.name === "HeartbeatsForbidden");
    expect(forbidden).toEqual([
      { at: T0, name: "HeartbeatsForbidden", value: 1 },
      { at: T0 + 10_000, name: "HeartbeatsForbidden", value: 10 },
    ]);
  });

  it("counts 409 (stale) as HeartbeatsStale", async () => {
    // Prepare
    const { send, published, setStale } = setup();
    setStale(true);
    // Act
    const status = await send(0);
    // Assess
    expect(status).toBe(409);
    expect(published).toEqual([{ at: T0, name: "HeartbeatsStale", value: 1 }]);
  });

  it("publishes nothing for answered heartbeats by default (no alarm watches their latency)", async () => {
    // Prepare
    const { send, published } = setup();
    // Act: a heartbeat every 2 s for 2 minutes.
    for (let at = 0; at <= 120_000; at += 2_000) expect(await send(at)).toBe(200);
    // Assess
    expect(published).toEqual([]);
  });

  it("with detailed metrics, publishes the answered heartbeats' latencies once a minute, not once per heartbeat", async () => {
    // Prepare
    const { send, published } = setup(true);
    // Act: a heartbeat every 2 s for 2 minutes and 1 s.
    for (let at = 0; at <= 121_000; at += 2_000) expect(await send(at)).toBe(200);
    // Assess: 61 answered; published at the first (cold start), then with the first heartbeat a minute or more later.
    const latencies = published.filter((m) => m.name === "HeartbeatLatency");
    expect(latencies).toHaveLength(61);
    expect([...new Set(latencies.map((m) => m.at - T0))]).toEqual([0, 60_000, 120_000]);
  });
});
