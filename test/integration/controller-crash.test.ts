import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { runPass } from "../../lib/controller/pass.js";
import { crashing } from "../support/crashing.js";
import {
  type Harness,
  beatFor,
  driveUntilPostgresOnDbB,
  failedOverToDbB,
  postgresWhereabouts,
  realDependencies,
  startPlacedHarness,
} from "./support/controller-harness.js";

let h: Harness;

beforeAll(async () => {
  ({ h } = await startPlacedHarness());
}, 60_000);

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
      // Paced like a real agent: passes that die early are quicker than the heartbeat function's fairness allows
      // (at most 4 heartbeats per 500 ms interval on average; CI saw 429 TooManyHeartbeats without the pause).
      await new Promise((resolve) => setTimeout(resolve, 150));
      await h.agents.beat(["db-b", "office-1"]);
    }
    await driveUntilPostgresOnDbB(h, { everyMs: 200 });
    // Assess: one failover, completed, as if nothing had died.
    expect(await postgresWhereabouts(h)).toEqual(await failedOverToDbB(h));
    // 10 s alone here, 18 s on a loaded machine: well inside, so that only a pass that never completes times it out.
  }, 120_000);
});
