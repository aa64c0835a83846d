import { describe, expect, it } from "vitest";
import type { GroupOwnership, HeartbeatStore, WakeStore } from "../../../lib/core/heartbeat/store.js";
import type { PeerLiveness, WakeReason } from "../../../lib/core/heartbeat/wake.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";
import { exampleIndex } from "../../support/example-cluster.js";

// The heartbeat function wakes the controller through one claim on the table: many watchers of one silent node wake
// it once per tick; a failing wake-up never fails the heartbeat. Example timings: lease 10 s + grace 2 s, tick 2 s.
const NOW = Date.UTC(2026, 11, 1, 3, 0, 0);
const SILENCE_MS = 10_000 + 2_000;
const TICK_MS = 2_000;

function setup(options: { invokeFails?: boolean } = {}) {
  let now = NOW;
  const store: HeartbeatStore = {
    recordHeartbeat: () => Promise.resolve(),
    readOwnership: () => Promise.resolve(new Map<string, GroupOwnership>()),
  };
  // db-a silent since NOW - SILENCE_MS - 1: down for the controller.
  const peers = new Map<string, PeerLiveness>([["db-a", { receivedAt: NOW - SILENCE_MS - 1 }]]);
  let claimedAt: number | undefined;
  const wakeStore: WakeStore = {
    readPeers: (ids) => Promise.resolve(new Map([...peers].filter(([id]) => ids.includes(id)))),
    claimWake: (at, windowMs) => {
      if (claimedAt !== undefined && claimedAt > at - windowMs) return Promise.resolve(false);
      claimedAt = at;
      return Promise.resolve(true);
    },
  };
  const invoked: WakeReason[] = [];
  const handler = createHeartbeatHandler({
    index: exampleIndex(),
    store,
    clock: { now: () => now },
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    wake: {
      store: wakeStore,
      invoke: (reason) => {
        if (options.invokeFails) return Promise.reject(new Error("Lambda throttled the invoke"));
        invoked.push(reason);
        return Promise.resolve();
      },
    },
  });
  const beat = (nodeId: "db-b" | "office-1", seq: number) =>
    handler(
      heartbeatEvent(
        heartbeatBody(nodeId, {
          seq,
          bootId: nodeId === "db-b" ? "9b2f6c1e-0000-4000-8000-00000000000b" : "9b2f6c1e-0000-4000-8000-00000000000f",
        }),
        CALLERS[nodeId],
      ),
      LAMBDA_CONTEXT,
    );
  return { beat, invoked, advance: (ms: number) => void (now += ms) };
}

describe("the heartbeat function waking the controller", () => {
  it("wakes it once for a silent node both of its watchers report within a tick, and again a tick later", async () => {
    // Prepare: db-a is watched by office-1 and db-b (the ring: db-b -> office-1, db-a; office-1 -> db-a, db-b).
    const { beat, invoked, advance } = setup();
    // Act
    await beat("db-b", 1);
    advance(500);
    await beat("office-1", 1);
    advance(TICK_MS);
    await beat("db-b", 2);
    // Assess
    expect(invoked).toEqual([
      { kind: "peer-silent", nodeId: "db-a" },
      { kind: "peer-silent", nodeId: "db-a" },
    ]);
  });

  it("answers the heartbeat 200 when the wake-up fails", async () => {
    // Prepare
    const { beat, invoked } = setup({ invokeFails: true });
    // Act
    const response = await beat("db-b", 1);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(invoked).toEqual([]);
  });
});
