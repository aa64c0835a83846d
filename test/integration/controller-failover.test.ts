import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import {
  driveUntilPostgresOnDbB,
  failedOverToDbB,
  postgresWhereabouts,
  startHarness,
  startPlacedHarness,
} from "./support/controller-harness.js";
import { worldState } from "./support/world-state.js";

// Each test builds its own world (moto emptied, the example cluster created, the groups placed where a test
// needs them), so that any one of them can run alone or in any order.

/** Placement, then a failover: each its own wait, as long as the harness's driveUntil allows. */
const PLACE_THEN_FAIL_OVER_MS = 60_000;

describe("controller against moto (example cluster, fast timing)", () => {
  it("places each group on its most preferred node, in dependency order, and reports it", async () => {
    // Prepare
    const h = await startHarness();
    const state = worldState(h.world);
    // Act
    await h.driveUntil(
      ["db-a", "db-b", "office-1"],
      async () =>
        (await state.group("postgres"))?.status === "online" && (await state.group("reports"))?.status === "online",
    );
    // Assess
    expect(await state.group("postgres")).toMatchObject({
      owner: "db-a",
      epoch: 1,
      desired: { "pg-mount": "online", postgres: "online" },
    });
    expect(await state.group("reports")).toMatchObject({ owner: "office-1", epoch: 1 });
    expect(await state.addressInstance()).toBe(h.world.instances["db-a"]);
    expect(await state.recordValue("db.example.com")).toBe(
      (await state.instance(h.world.instances["db-a"])).PrivateIpAddress,
    );
    expect(await state.recordValue("reports.example.com")).toBe("203.0.113.10");
  });

  it(
    "fails postgres over when db-a falls silent: fenced, volume moved, address and record pointed at db-b",
    async () => {
      // Prepare
      const { h, state } = await startPlacedHarness();
      const silentSince = Date.now();
      // Act: db-a stops heartbeating; the others go on.
      await driveUntilPostgresOnDbB(h);
      // Assess: decided (the failover's start time, kept in `failovers`) more than lease 2 s + grace max(2 s, 2 s / 5)
      // = 4 000 ms after db-a's last heartbeat was received, both by AWS-side clocks.
      const snapshot = await new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName).readSnapshot();
      const lastHeard = snapshot.liveness.get("db-a")!.receivedAt;
      expect(lastHeard).toBeLessThanOrEqual(silentSince);
      const decidedAt = (await state.group("postgres"))!.failovers[0]!;
      expect(decidedAt - lastHeard).toBeGreaterThan(4_000);
      expect(await postgresWhereabouts(h)).toEqual(await failedOverToDbB(h));
      expect(await state.group("reports")).toMatchObject({ owner: "office-1", epoch: 1 }); // untouched
    },
    PLACE_THEN_FAIL_OVER_MS,
  );

  it(
    "writes each transition of a failover to the cluster log",
    async () => {
      // Prepare: a world of its own, with one failover in it.
      const startedAt = Date.now();
      const { h } = await startPlacedHarness();
      await driveUntilPostgresOnDbB(h);
      // Act: every day partition the test's entries may fall in (it may run across UTC midnight).
      const entries = await worldState(h.world).logEntries(startedAt);
      // Assess
      const postgres = entries
        .filter((e) => e.groupId === "postgres")
        .map((e) => `${String(e.event)} ${String(e.epoch)}`);
      expect(postgres).toContain("failover-started 2");
      expect(postgres).toContain("failover-completed 2");
      expect(entries.some((e) => e.event === "step" && String(e.step).startsWith("fence") && e.epoch === 2)).toBe(true);
      expect(entries.every((e) => typeof e.expiresAt === "number")).toBe(true);
    },
    PLACE_THEN_FAIL_OVER_MS,
  );
});
