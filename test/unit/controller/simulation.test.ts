import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPass } from "../../../lib/controller/pass.js";
import type { GroupRecord } from "../../../lib/core/controller/records.js";
import { crashing } from "../../support/crashing.js";
import { EXAMPLE_EC2 } from "../../support/fakes/ec2.js";
import { Simulation } from "../../support/simulation.js";

const group = (sim: Simulation, id: string): GroupRecord | undefined => sim.store.groups.get(id);

async function placed(): Promise<Simulation> {
  const sim = new Simulation();
  await sim.advance(30_000);
  expect(group(sim, "postgres")).toMatchObject({ owner: "db-a", status: "online" });
  expect(group(sim, "reports")).toMatchObject({ owner: "office-1", status: "online" });
  return sim;
}

/** Owners per epoch, over every write: a group never has two owners of one epoch, and epochs only grow. */
function checkHistory(sim: Simulation): void {
  const seen = new Map<string, { epoch: number; owner: string | null; version: number }>();
  const owners = new Map<string, string | null>();
  for (const write of sim.store.groupWrites) {
    const previous = seen.get(write.groupId);
    if (previous) {
      expect(write.version).toBe(previous.version + 1);
      expect(write.epoch).toBeGreaterThanOrEqual(previous.epoch);
      if (write.epoch === previous.epoch) expect(write.owner).toBe(previous.owner);
    }
    const key = `${write.groupId}#${write.epoch}`;
    if (owners.has(key)) expect(owners.get(key)).toBe(write.owner);
    owners.set(key, write.owner);
    seen.set(write.groupId, write);
  }
  expect(sim.ec2.violations).toEqual([]);
}

describe("controller on a simulated clock", () => {
  it("fails postgres over from a partitioned db-a: fenced first, then the volume, address and record move", async () => {
    // Prepare
    const sim = await placed();
    sim.silence("db-a"); // partitioned: silent, instance still running
    const lastBeat = sim.store.liveness.get("db-a")!.receivedAt;
    // Act
    await sim.advance(60_000);
    // Assess
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("stopped");
    expect(sim.ec2.peekVolume(EXAMPLE_EC2.volume)?.attachments).toMatchObject([
      { instanceId: EXAMPLE_EC2.dbB, state: "attached" },
    ]);
    expect(sim.ec2.peekAddress(EXAMPLE_EC2.allocation)?.instanceId).toBe(EXAMPLE_EC2.dbB);
    const started = sim.store.log.find(
      (e) => e.event === "failover-started" && e.groupId === "postgres" && e.epoch === 2,
    )!;
    // Written out from examples/cluster.yaml: lease 10 000 ms + grace max(2 000, 10 000 / 5) = 12 000 ms, never
    // sooner; and no later than the first pass after that (passes every 2 000 ms, in 1 000 ms steps).
    expect(started.at - lastBeat).toBeGreaterThan(12_000);
    expect(started.at - lastBeat).toBeLessThanOrEqual(14_000);
    checkHistory(sim);
  });

  it("forces a detach that sticks, but only after the old owner is fenced", async () => {
    // Prepare
    const sim = await placed();
    sim.ec2.stickDetach(EXAMPLE_EC2.volume);
    sim.silence("db-a");
    // Act
    await sim.advance(180_000);
    // Assess
    const detaches = sim.ec2.callsOf("detachVolume").map((c) => c.args[2]);
    expect(detaches).toContain(true);
    const stopIndex = sim.ec2.calls.findIndex((c) => c.operation === "stopInstance");
    const forceIndex = sim.ec2.calls.findIndex((c) => c.operation === "detachVolume" && c.args[2] === true);
    expect(stopIndex).toBeGreaterThanOrEqual(0);
    expect(forceIndex).toBeGreaterThan(stopIndex);
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-b", status: "online" });
    checkHistory(sim);
  });

  it("never force-detaches from a live source that confirmed its stop and was therefore not fenced", async () => {
    // Prepare: postgres fails on db-a (its agent stops the group and confirms it); the detach then hangs.
    const sim = await placed();
    sim.ec2.stickDetach(EXAMPLE_EC2.volume);
    sim.failing.set("db-a", "postgres");
    // Act: 180 s, three times the 60 s after which a detach from a fenced source is forced.
    await sim.advance(180_000);
    // Assess
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("running");
    expect(sim.ec2.callsOf("detachVolume").filter((c) => c.args[2] === true)).toEqual([]);
  });

  it("fences a live source that falls silent after the move began, before confirming its stop", async () => {
    // Prepare: postgres fails on db-a; the failover starts with db-a alive (it is to confirm its stop).
    const sim = await placed();
    sim.failing.set("db-a", "pg-mount");
    for (let i = 0; i < 20 && group(sim, "postgres")?.plan?.kind !== "failover"; i++) await sim.advance(1_000);
    expect(group(sim, "postgres")?.plan).toMatchObject({ kind: "failover", sourceAlive: true });
    // Act: db-a is cut off before it confirms anything.
    sim.silence("db-a");
    await sim.advance(120_000);
    // Assess
    expect(sim.ec2.violations).toEqual([]);
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("stopped");
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-b", status: "online" });
  });

  it("waits out throttled EC2 and Route 53 calls without failing anything, then completes", async () => {
    // Prepare
    const sim = await placed();
    sim.ec2.throttle("describeVolume", 20).throttle("associateAddress", 5);
    sim.dns.throttle("upsertARecord", 5);
    sim.silence("db-a");
    // Act
    await sim.advance(120_000);
    // Assess
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(group(sim, "reports")).toMatchObject({ owner: "office-1", epoch: 1 });
    expect(sim.notifications.filter((s) => /FAILED|left failed/.test(s))).toEqual([]);
    checkHistory(sim);
  });

  it("freezes when two of three nodes fall silent at once, and moves nothing until they return", async () => {
    // Prepare
    const sim = await placed();
    sim.silence("db-a");
    sim.silence("office-1");
    // Act
    await sim.advance(60_000);
    // Assess
    expect(sim.store.guard?.frozen).toBe(true);
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-a", epoch: 1 });
    expect(sim.notifications.some((s) => s.includes("FROZEN"))).toBe(true);
    sim.revive("db-a");
    sim.revive("office-1");
    await sim.advance(10_000);
    expect(sim.store.guard?.frozen).toBe(false);
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-a", epoch: 1 });
  });

  for (const afterCall of [false, true]) {
    const how = afterCall ? "as its call takes effect (answer lost)" : "before its call reaches anything";
    it(`completes the failover safely whichever port call the acting controller dies at, ${how}`, async () => {
      let crashAt = 1;
      let uninterrupted: string[] = [];
      for (; crashAt <= 400; crashAt++) {
        // Prepare: db-a falls silent; no controller runs until it is past its lease and grace, and the
        // earlier invocation has released the controller lease: the crashing pass is the one that acts.
        const sim = await placed();
        sim.silence("db-a");
        await sim.advance(14_000, { passes: false });
        await sim.store.releaseLease("controller", sim.now);
        const state = { died: false, calls: 0 };
        const deps = crashing(sim.dependencies("crashing"), crashAt, { afterCall, state });
        const before = sim.ec2.calls.length;
        // Act: its passes, one per tick, until it dies (or, past the last call, the failover completes).
        for (let tick = 0; tick < 60 && !state.died; tick++) {
          await runPass(deps).catch(() => undefined);
          if (group(sim, "postgres")?.status === "online" && group(sim, "postgres")?.owner === "db-b") break;
          await sim.advance(2_000, { passes: false });
        }
        if (!state.died) {
          uninterrupted = sim.ec2.calls.slice(before).map((c) => c.operation);
          break;
        }
        // The next invocation takes over once the dead one's lease (15 s) has run out.
        await sim.advance(90_000);
        // Assess
        const postgres = group(sim, "postgres");
        expect({
          diedAtCall: crashAt,
          group: { owner: postgres?.owner, epoch: postgres?.epoch, status: postgres?.status },
          dbA: sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state,
          volume: sim.ec2.peekVolume(EXAMPLE_EC2.volume)?.attachments.map((a) => [a.instanceId, a.state]),
        }).toEqual({
          diedAtCall: crashAt,
          group: { owner: "db-b", epoch: 2, status: "online" },
          dbA: "stopped",
          volume: [[EXAMPLE_EC2.dbB, "attached"]],
        });
        checkHistory(sim);
      }
      // The crashes covered a pass that really acts: every AWS action of the failover was a place to die.
      expect(crashAt).toBeGreaterThan(40);
      expect(crashAt).toBeLessThan(400);
      for (const operation of ["stopInstance", "detachVolume", "attachVolume", "associateAddress"]) {
        expect(uninterrupted).toContain(operation);
      }
      // Some 60 whole failovers, one per crash point: about 3 s on an idle machine, more than 5 s under load.
    }, 60_000);
  }

  it("moves a group on when a resource does not come online on its new owner within its pending timeout", async () => {
    // Prepare: office-1's agent never finishes starting report-svc (pending timeout 3 min by default).
    const sim = new Simulation();
    sim.stuckStarting.set("office-1", "report-svc");
    // Act
    await sim.advance(5 * 60_000);
    // Assess
    expect(group(sim, "reports")).toMatchObject({
      owner: "db-b",
      epoch: 2,
      status: "online",
      failovers: [expect.any(Number)],
    });
    expect(
      sim.store.log.some((e) => e.groupId === "reports" && e.event === "step" && /did not come online/.test(e.outcome)),
    ).toBe(true);
    checkHistory(sim);
  });

  it("moves a leaving node's group at once, without fencing it or holding it against the node", async () => {
    // Prepare
    const sim = await placed();
    await sim.advance(1_000);
    const left = sim.now;
    // Act
    sim.leave("db-a"); // a planned reboot: its agent stopped pg-mount and postgres first
    await sim.advance(20_000);
    // Assess: started at the next pass, not after the lease that a silent node would have been given
    const started = sim.store.log.find(
      (e) => e.event === "failover-started" && e.groupId === "postgres" && e.epoch === 2,
    );
    expect(started!.at - left).toBeLessThanOrEqual(sim.definition.timing.controllerTickMs);
    expect(group(sim, "postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online", failedOn: {} });
    expect(sim.ec2.peekInstance(EXAMPLE_EC2.dbA)?.state).toBe("running"); // not fenced
    expect(sim.ec2.peekVolume(EXAMPLE_EC2.volume)?.attachments).toMatchObject([
      { instanceId: EXAMPLE_EC2.dbB, state: "attached" },
    ]);
    expect(sim.store.guard?.frozen).toBe(false);
    checkHistory(sim);
  });

  it("lets only one of two concurrent passes act", async () => {
    // Prepare
    const sim = await placed();
    sim.silence("db-a");
    sim.now += 12_000 + 1_000; // past lease 10 s + grace 2 s (examples/cluster.yaml)
    sim.heartbeat();
    await sim.store.releaseLease("controller", sim.now); // the earlier invocation has ended
    // Act
    const [one, two] = await Promise.all([sim.pass("one"), sim.pass("two")]);
    // Assess
    expect([one.lookedOnly, two.lookedOnly].sort()).toEqual([false, true]);
    expect(
      sim.store.groupWrites.filter((w) => w.epoch === 2 && w.plan?.stepIndex === 0 && w.status === "moving"),
    ).toHaveLength(1);
  });

  it("keeps its promises over random histories of silences, returns, failures and throttling", async () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant("silence" as const), node: fc.constantFrom("db-a", "db-b", "office-1") }),
      fc.record({ kind: fc.constant("revive" as const), node: fc.constantFrom("db-a", "db-b", "office-1") }),
      fc.record({
        kind: fc.constant("fail" as const),
        node: fc.constantFrom("db-a", "db-b"),
        resource: fc.constantFrom("postgres", "pg-mount"),
      }),
      fc.record({ kind: fc.constant("throttle" as const), count: fc.integer({ min: 1, max: 10 }) }),
      fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 40 }).map((s) => s * 1000) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 12 }), async (events) => {
        const sim = new Simulation();
        await sim.advance(20_000);
        for (const e of events) {
          if (e.kind === "silence") sim.silence(e.node);
          if (e.kind === "revive") sim.revive(e.node);
          if (e.kind === "fail") sim.failing.set(e.node, e.resource);
          if (e.kind === "throttle") sim.ec2.throttle("describeVolume", e.count);
          await sim.advance(e.kind === "wait" ? e.ms : 4_000);
        }
        // Settle: whatever happened, the world is then left alone for a while.
        await sim.advance(300_000);
        checkHistory(sim);
        const postgres = group(sim, "postgres")!;
        const eligibleUp = ["db-a", "db-b"].filter(
          (n) =>
            sim.alive.has(n) &&
            sim.ec2.peekInstance(n === "db-a" ? EXAMPLE_EC2.dbA : EXAMPLE_EC2.dbB)?.state === "running" &&
            !sim.failing.has(n),
        );
        // The threshold holds: never more than 2 failovers (examples/cluster.yaml) within 6 h, counted from the
        // plans written, not from the record's own list (which the code cuts at the threshold).
        const failoversStarted = sim.store.groupWrites.filter(
          (w) =>
            w.groupId === "postgres" && w.plan?.kind === "failover" && w.plan.stepIndex === 0 && w.plan.attempts === 0,
        );
        expect(new Set(failoversStarted.map((w) => w.epoch)).size).toBeLessThanOrEqual(2);
        // A group that is not left failed, with an eligible node up and the guard thawed, ends online on an up node.
        const mustBeOnline = postgres.status !== "failed" && !sim.store.guard?.frozen && eligibleUp.length > 0;
        const outcome = { status: postgres.status, ownerUp: postgres.owner !== null && sim.alive.has(postgres.owner) };
        expect(mustBeOnline ? outcome : "not required").toEqual(
          mustBeOnline ? { status: "online", ownerUp: true } : "not required",
        );
      }),
      { numRuns: Number(process.env.SIM_RUNS ?? 40) },
    );
  }, 300_000);
});
