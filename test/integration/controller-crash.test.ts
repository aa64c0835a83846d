import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { runPass } from "../../lib/controller/pass.js";
import { crashing } from "../support/crashing.js";
import { type Harness, beatFor, realDependencies, startPlacedHarness } from "./support/controller-harness.js";

let h: Harness;
let state: Awaited<ReturnType<typeof startPlacedHarness>>["state"];

beforeAll(async () => {
  ({ h, state } = await startPlacedHarness());
});

describe("a controller killed mid-failover (real adapters, moto)", () => {
  it("leaves a state that later passes complete, whichever call it died after", async () => {
    // Prepare
    await beatFor(h, ["db-b", "office-1"], 4_500);
    const store = new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName);
    // Act: passes that each die one call later than the one before, so that every pair of
    // steps of the failover is a place where some pass died; each one's lease then runs out.
    for (let calls = 3; calls <= 24; calls++) {
      const holder = `killed-after-${calls}`;
      await runPass(crashing(await realDependencies(h.world, holder), calls)).catch(() => undefined);
      await store.releaseLease(holder, Date.now());
      await h.agents.beat(["db-b", "office-1"]);
    }
    await h.driveUntil(
      ["db-b", "office-1"],
      async () =>
        (await state.group("postgres"))?.status === "online" && (await state.group("postgres"))?.owner === "db-b",
      30_000,
      200,
    );
    // Assess: one failover, completed, as if nothing had died.
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect((await state.instance(h.world.instances["db-a"])).State?.Name).toBe("stopped");
    expect(await state.volumeAttachments()).toEqual([[h.world.instances["db-b"], "/dev/xvdf"]]);
    expect(await state.addressInstance()).toBe(h.world.instances["db-b"]);
    expect(await state.recordValue("db.example.com")).toBe(
      (await state.instance(h.world.instances["db-b"])).PrivateIpAddress,
    );
  });
});
