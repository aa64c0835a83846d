import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { type Harness, startHarness } from "./support/controller-harness.js";
import { worldState } from "./support/world-state.js";

let h: Harness;
let state: ReturnType<typeof worldState>;
const group = (id: string) => state.group(id);
const instance = (id: string) => state.instance(id);
const recordValue = (name: string) => state.recordValue(name);

beforeAll(async () => {
  h = await startHarness();
  state = worldState(h.world);
});

describe("controller against moto (example cluster, fast timing)", () => {
  it("places each group on its most preferred node, in dependency order, and reports it", async () => {
    // Act
    await h.driveUntil(
      ["db-a", "db-b", "office-1"],
      async () => (await group("postgres"))?.status === "online" && (await group("reports"))?.status === "online",
    );
    // Assess
    expect(await group("postgres")).toMatchObject({
      owner: "db-a",
      epoch: 1,
      desired: { "pg-mount": "online", postgres: "online" },
    });
    expect(await group("reports")).toMatchObject({ owner: "office-1", epoch: 1 });
    expect(await state.addressInstance()).toBe(h.world.instances["db-a"]);
    expect(await recordValue("db.example.com")).toBe((await instance(h.world.instances["db-a"])).PrivateIpAddress);
    expect(await recordValue("reports.example.com")).toBe("203.0.113.10");
  });

  it("fails postgres over when db-a falls silent: fenced, volume moved, address and record pointed at db-b", async () => {
    // Prepare
    const silentSince = Date.now();
    // Act: db-a stops heartbeating; the others go on.
    await h.driveUntil(
      ["db-b", "office-1"],
      async () => (await group("postgres"))?.owner === "db-b" && (await group("postgres"))?.status === "online",
      30_000,
      250,
    );
    // Assess: decided (the failover's start time, kept in `failovers`) more than lease 2 s + grace max(2 s, 2 s / 5)
    // = 4 000 ms after db-a's last heartbeat was received, both by AWS-side clocks.
    const snapshot = await new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName).readSnapshot();
    const lastHeard = snapshot.liveness.get("db-a")!.receivedAt;
    expect(lastHeard).toBeLessThanOrEqual(silentSince);
    const decidedAt = (await group("postgres"))!.failovers[0]!;
    expect(decidedAt - lastHeard).toBeGreaterThan(4_000);
    expect(await group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect((await instance(h.world.instances["db-a"])).State?.Name).toBe("stopped");
    expect(await state.volumeAttachments()).toEqual([[h.world.instances["db-b"], "/dev/xvdf"]]);
    expect(await state.addressInstance()).toBe(h.world.instances["db-b"]);
    expect(await recordValue("db.example.com")).toBe((await instance(h.world.instances["db-b"])).PrivateIpAddress);
    expect(await group("reports")).toMatchObject({ owner: "office-1", epoch: 1 }); // untouched
  });

  it("has written each transition to the cluster log", async () => {
    // Prepare
    await sleep(10);
    const day = new Date().toISOString().slice(0, 10);
    // Act
    const out = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: h.world.tableName,
        KeyConditionExpression: "pk = :day",
        ExpressionAttributeValues: { ":day": { S: `log#${day}` } },
      }),
    );
    // Assess
    const entries = (out.Items ?? []).map((i) => unmarshall(i));
    const postgres = entries.filter((e) => e.groupId === "postgres").map((e) => `${e.event} ${e.epoch}`);
    expect(postgres).toContain("failover-started 2");
    expect(postgres).toContain("failover-completed 2");
    expect(entries.some((e) => e.event === "step" && String(e.step).startsWith("fence") && e.epoch === 2)).toBe(true);
    expect(entries.every((e) => typeof e.expiresAt === "number")).toBe(true);
  });
});
