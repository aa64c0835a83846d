import { describe, expect, it } from "vitest";
import { AwsRejectedError } from "../../../lib/core/aws-errors.js";
import type { GroupRecord } from "../../../lib/core/controller/records.js";
import { EXAMPLE_EC2 } from "../../support/fakes/ec2.js";
import { Simulation } from "../../support/simulation.js";

/** Issue 8, item 1.6: an instance stuck in `stopping`, and the reset of a group whose fence failed. */

async function placed(): Promise<Simulation> {
  const sim = new Simulation();
  await sim.advance(30_000);
  expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", status: "online", epoch: 1 });
  return sim;
}

describe("fencing", () => {
  it("sends StopInstances with Force to an instance stuck in 'stopping', and the failover completes", async () => {
    // Prepare: a stop without Force (AWS-initiated, or an operator's) hangs on an impaired host; the agent is cut off.
    const sim = await placed();
    sim.ec2.setInstanceState(EXAMPLE_EC2.dbA, "stopping");
    sim.silence("db-a");
    // Act: example timing: lease 10 s, grace max(2 s, 10 s / 5) = 2 s, then a few ticks of 2 s.
    await sim.advance(10_000 + 2_000 + 30_000);
    // Assess
    expect(sim.ec2.callsOf("stopInstance").map((c) => c.args)).toEqual([[EXAMPLE_EC2.dbA, true]]);
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("stopped");
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(sim.ec2.violations).toEqual([]);
  });

  it("keeps the source whose fence failed, so that the documented reset fences it before the volume moves", async () => {
    // Prepare: StopInstances is refused (a missing permission) for as long as the fence step lasts (10 min).
    const sim = await placed();
    sim.ec2.failNext(
      "stopInstance",
      () => new AwsRejectedError("StopInstances", "UnauthorizedOperation", "not allowed"),
      1_000,
    );
    sim.silence("db-a");
    await sim.advance(12 * 60_000);
    const failed = sim.store.groups.get("postgres")!;
    expect(failed).toMatchObject({
      status: "failed",
      owner: "db-b",
      epoch: 2,
      plan: null,
      unconfirmedSources: ["db-a"],
    });
    expect(sim.ec2.peekVolume(EXAMPLE_EC2.volume)?.attachments).toMatchObject([{ instanceId: EXAMPLE_EC2.dbA }]);
    // Act: the permission is fixed; docs/operations.md "Restarting a failed group".
    sim.ec2.clearFailures();
    const reset: GroupRecord = { ...failed, version: failed.version + 1, status: "offline", failovers: [], plan: null };
    await sim.store.writeGroup(reset, failed.version);
    await sim.advance(60_000);
    // Assess: db-a was stopped before the volume moved to db-b.
    const operations = sim.ec2.calls.filter((c) => c.outcome === "ok").map((c) => c.operation);
    const stoppedAt = operations.indexOf("stopInstance");
    expect(stoppedAt).toBeGreaterThanOrEqual(0);
    expect(operations.indexOf("attachVolume")).toBeGreaterThan(stoppedAt);
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("stopped");
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-b", epoch: 3, status: "online" });
    expect(sim.store.groups.get("postgres")?.unconfirmedSources).toBeUndefined();
    expect(sim.ec2.violations).toEqual([]);
  });
});
