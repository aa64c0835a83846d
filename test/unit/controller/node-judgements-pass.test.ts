import { describe, expect, it } from "vitest";
import { AwsThrottledError } from "../../../lib/core/aws-errors.js";
import { StateConflictError } from "../../../lib/core/controller/adapters.js";
import type { JudgedNodes } from "../../../lib/core/controller/records.js";
import { Simulation } from "../../support/simulation.js";

// The node judgements (controller#nodes) through real passes over the example cluster: reporting only. A write of
// them that fails never stops or delays a move, and the change it carried is told once, by the pass that stores it.

/** The groups placed with every node heard; then db-a (postgres's owner) falls silent. */
async function placedThenSilent(sim: Simulation): Promise<void> {
  sim.heartbeat();
  await sim.advance(20_000);
  sim.silence("db-a");
}

/** When postgres's failover started (its first failover time), moving time until it has. */
async function failoverStart(sim: Simulation): Promise<number> {
  for (let i = 0; i < 60 && (sim.store.groups.get("postgres")?.failovers.length ?? 0) === 0; i++) {
    await sim.advance(1_000);
  }
  return sim.store.groups.get("postgres")!.failovers[0]!;
}

const nodeEntries = (sim: Simulation) =>
  sim.store.log.filter((e) => e.event.startsWith("node-")).map((e) => [e.event, e.nodeId]);

describe("node judgements in the pass", () => {
  it("a judgement that cannot be written neither stops nor delays the failover; the next pass that writes it tells db-a down, once", async () => {
    // Prepare: the same cluster twice, one of them unable to write the judgements for the next 30 s.
    const healthy = new Simulation();
    const throttled = new Simulation();
    await placedThenSilent(healthy);
    await placedThenSilent(throttled);
    const write = throttled.store.writeJudgedNodes.bind(throttled.store);
    const failUntil = throttled.now + 30_000;
    let refused = 0;
    throttled.store.writeJudgedNodes = (record: JudgedNodes, expectedVersion: number) => {
      if (throttled.now >= failUntil) return write(record, expectedVersion);
      refused++;
      return Promise.reject(new AwsThrottledError("DynamoDB PutItem", "ThrottlingException"));
    };
    // Act
    const expected = await failoverStart(healthy);
    const started = await failoverStart(throttled);
    const toldWhileFailing = nodeEntries(throttled).length;
    await throttled.advance(40_000);
    // Assess: the same start; the change told only once its write went through, and only once.
    expect(started).toBe(expected);
    expect(refused).toBeGreaterThan(1);
    expect(toldWhileFailing).toBe(3); // the three first-judged node-up of the placement
    expect(nodeEntries(throttled)).toEqual([
      ["node-up", "db-a"],
      ["node-up", "db-b"],
      ["node-up", "office-1"],
      ["node-down", "db-a"],
    ]);
    expect(throttled.store.judgedNodes?.nodes["db-a"]?.state).toBe("down");
  });

  it("a pass that loses the write to another controller tells nothing: that one told it", async () => {
    // Prepare
    const sim = new Simulation();
    sim.heartbeat();
    await sim.advance(20_000);
    const before = nodeEntries(sim).length;
    sim.silence("db-a");
    sim.store.writeJudgedNodes = () => Promise.reject(new StateConflictError("node judgements changed"));
    // Act
    await sim.advance(20_000);
    // Assess
    expect(nodeEntries(sim).length).toBe(before);
  });

  it("a pass that cannot take the controller lease stores and tells nothing; the next pass that holds it tells the change, once", async () => {
    // Prepare: placed; then another controller holds the lease, and db-b (which owns nothing) is heard in a new boot:
    // no group and no guard change needs the lease, only the judgement.
    const sim = new Simulation();
    sim.heartbeat();
    await sim.advance(20_000);
    const before = nodeEntries(sim).length;
    const version = sim.store.judgedNodes?.version;
    sim.store.lease = { holder: "other", expiresAt: sim.now + 40_000, version: (sim.store.lease?.version ?? 0) + 1 };
    sim.store.heartbeat("db-b", sim.now, {}, "boot-2", false, {}, sim.definition.timing.leaseDurationMs);
    // Act
    await sim.pass();
    const whileHeld = { version: sim.store.judgedNodes?.version, told: nodeEntries(sim).length };
    sim.store.lease = { ...sim.store.lease, expiresAt: sim.now - 1 }; // the other controller's lease ran out
    await sim.pass();
    // Assess: nothing written without the lease (every write of a pass is made under it); told once, after.
    expect(whileHeld).toEqual({ version, told: before });
    expect(nodeEntries(sim).slice(before)).toEqual([["node-restarted", "db-b"]]);
    expect(sim.store.judgedNodes?.nodes["db-b"]?.bootId).toBe("boot-2");
  });

  it("an idle pass writes no judgement", async () => {
    // Prepare
    const sim = new Simulation();
    sim.heartbeat();
    await sim.advance(20_000);
    const version = sim.store.judgedNodes?.version;
    // Act
    await sim.advance(30_000);
    // Assess: every node judged once, at the first pass; nothing since.
    expect(version).toBe(1);
    expect(sim.store.judgedNodes?.version).toBe(1);
  });
});
