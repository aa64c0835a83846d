import { describe, expect, it } from "vitest";
import { InMemoryStateStore } from "../../support/fakes/state-store.js";

// The in-memory table records the lease each answer grants as DynamoHeartbeatStore does
// (test/integration/cluster-store.test.ts checks the real one): the end of the longest lease never goes back.

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe("InMemoryStateStore.heartbeat and the granted lease", () => {
  it("keeps the end of a longer lease granted earlier, across boots, until a later one outlasts it", () => {
    // Prepare
    const store = new InMemoryStateStore();
    const lease = () => {
      const node = store.liveness.get("db-a")!;
      return { leaseMs: node.leaseMs, leaseUntil: node.leaseUntil };
    };
    // Act
    store.heartbeat("db-a", NOW, {}, "boot-1", false, {}, 20_000);
    const old = lease();
    store.heartbeat("db-a", NOW + 2_000, {}, "boot-1", false, {}, 10_000);
    const shorter = lease();
    store.heartbeat("db-a", NOW + 4_000, {}, "boot-2", false, {}, 10_000);
    const newBoot = lease();
    store.heartbeat("db-a", NOW + 11_000, {}, "boot-2", false, {}, 10_000);
    const outlasted = lease();
    // Assess
    expect(old).toEqual({ leaseMs: 20_000, leaseUntil: NOW + 20_000 });
    expect(shorter).toEqual({ leaseMs: 20_000, leaseUntil: NOW + 20_000 });
    expect(newBoot).toEqual({ leaseMs: 20_000, leaseUntil: NOW + 20_000 });
    expect(outlasted).toEqual({ leaseMs: 10_000, leaseUntil: NOW + 21_000 });
  });
});
