import { describe, expect, it } from "vitest";
import type { GroupOwnership, HeartbeatStore, WakeStore } from "../../../lib/core/heartbeat/store.js";
import type { PeerLiveness, WakeReason } from "../../../lib/core/heartbeat/wake.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";
import { exampleIndex } from "../../support/example-cluster.js";

// A heartbeat reads a watched peer only once the moment the controller would take it for down has come (lease
// 10 s + grace 2 s after its last heartbeat, example timings): before it no read can find the peer down. The
// peer's silence is still noticed by the first heartbeat after that moment, as when every heartbeat read it.
const NOW = Date.UTC(2026, 11, 1, 3, 0, 0);

function setup() {
  let now = NOW;
  const store: HeartbeatStore = {
    recordHeartbeat: () => Promise.resolve(),
    readOwnership: () => Promise.resolve(new Map<string, GroupOwnership>()),
  };
  // Every node heard at NOW; db-a goes silent after it, the others go on.
  const peers = new Map<string, PeerLiveness>([
    ["db-a", { receivedAt: NOW }],
    ["db-b", { receivedAt: NOW }],
    ["office-1", { receivedAt: NOW }],
  ]);
  const reads: string[][] = [];
  const wakeStore: WakeStore = {
    readPeers: (ids) => {
      reads.push([...ids]);
      return Promise.resolve(new Map([...peers].filter(([id]) => ids.includes(id))));
    },
    claimWake: () => Promise.resolve(true),
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
        invoked.push(reason);
        return Promise.resolve();
      },
    },
  });
  let seq = 0;
  /** office-1 heartbeats (it watches db-a and db-b); db-b's own heartbeats are recorded as it would be. */
  const beat = async () => {
    peers.set("db-b", { receivedAt: now });
    const response = await handler(
      heartbeatEvent(
        heartbeatBody("office-1", { seq: ++seq, bootId: "9b2f6c1e-0000-4000-8000-00000000000f" }),
        CALLERS["office-1"],
      ),
      LAMBDA_CONTEXT,
    );
    expect(response.statusCode).toBe(200);
  };
  return { beat, reads, invoked, advance: (ms: number) => void (now += ms) };
}

describe("the watched peers a heartbeat reads", () => {
  it("reads each peer once, then not again until its down moment, and wakes the controller on the first after it", async () => {
    // Prepare
    const { beat, reads, invoked, advance } = setup();
    // Act: office-1 heartbeats every 2 s for 14 s; db-a's down moment is NOW + 12 s.
    for (let t = 0; t <= 14_000; t += 2_000) {
      await beat();
      advance(2_000);
    }
    // Assess: both at first; nothing at 2..12 s; at 14 s, past both moments (NOW + 12 s), both again: db-a is down.
    expect(reads).toEqual([
      ["db-a", "db-b"],
      ["db-a", "db-b"],
    ]);
    expect(invoked).toEqual([{ kind: "peer-silent", nodeId: "db-a" }]);
  });
});
