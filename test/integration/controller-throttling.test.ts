import { beforeAll, describe, expect, it } from "vitest";
import type { ControllerEvent } from "../../lib/core/controller/events.js";
import type { ControllerResult } from "../../lib/handlers/controller.js";
import { awsThrottledCount, throttleAws } from "./support/aws.js";
import { type Harness, beatFor, startPlacedHarness } from "./support/controller-harness.js";

let h: Harness;
let state: Awaited<ReturnType<typeof startPlacedHarness>>["state"];

beforeAll(async () => {
  ({ h, state } = await startPlacedHarness());
});

describe("throttled EC2 and Route 53 (moto behind a throttling proxy)", () => {
  it("moves nothing while every node heartbeats, however throttled AWS is", async () => {
    // Prepare
    await throttleAws("ec2", 12);
    await throttleAws("route53", 6);
    // Act
    const results: ControllerResult[] = [];
    for (let i = 0; i < 5; i++) {
      await h.agents.beat(["db-a", "db-b", "office-1"]);
      results.push(await h.pass());
    }
    // Assess
    const events: ControllerEvent[] = results.flatMap((r) => ("events" in r ? r.events : []));
    expect(events.filter((e) => e.type !== "step")).toEqual([]);
    expect(await state.group("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
  });

  it("waits out the throttling during a failover and completes it once AWS answers again", async () => {
    // Prepare: the throttles queued above are still pending; db-a falls silent.
    const before = await awsThrottledCount();
    await beatFor(h, ["db-b", "office-1"], 4_500);
    // Act
    await h.driveUntil(
      ["db-b", "office-1"],
      async () =>
        (await state.group("postgres"))?.status === "online" && (await state.group("postgres"))?.owner === "db-b",
      { withinMs: 60_000, everyMs: 200 },
    );
    // Assess
    expect(await awsThrottledCount()).toBeGreaterThan(before);
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(await state.group("reports")).toMatchObject({ owner: "office-1", epoch: 1, status: "online" });
    expect(await state.addressInstance()).toBe(h.world.instances["db-b"]);
    expect(await state.recordValue("db.example.com")).toBe(
      (await state.instance(h.world.instances["db-b"])).PrivateIpAddress,
    );
  }, 120_000);
});
