import { describe, expect, it } from "vitest";
import { runPass } from "../../../lib/controller/pass.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";
import type { GroupOwnership } from "../../../lib/core/heartbeat/store.js";
import { EXAMPLE_EC2 } from "../../support/fakes/ec2.js";
import { Simulation } from "../../support/simulation.js";

/** Issue 8, item 1.3 (controller side): a move that rests on a node's report holds only while it is the latest. */
describe("writes conditioned on the node report they rest on", () => {
  it("does not move a group on a stale 'leaving' mark when the agent restarted before the pass wrote", async () => {
    // Prepare: `systemctl restart baton-agent` on db-a. The old boot stopped everything and sent its leaving
    // heartbeat; the machine stays up.
    const sim = new Simulation();
    await sim.advance(30_000);
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
    sim.now += 500;
    sim.leave("db-a");
    sim.alive.add("db-a");
    // The pass reads its snapshot (with the leaving mark); the new boot's first heartbeat is recorded and
    // answered right after, before the pass writes.
    let answer: ReturnType<typeof answerFor> | undefined;
    const store = sim.store;
    const read = store.readSnapshot.bind(store);
    store.readSnapshot = async () => {
      const snapshot = await read();
      store.heartbeat("db-a", sim.now + 300, {}, "boot-2");
      const ownership = new Map<string, GroupOwnership>(
        [...store.groups.values()].map((g) => [
          g.groupId,
          { owner: g.owner, epoch: g.epoch, desired: g.desired, status: g.status },
        ]),
      );
      answer = answerFor(
        sim.index,
        { nodeId: "db-a", bootId: "boot-2", seq: 0, resources: {} },
        sim.now + 300,
        ownership,
      );
      store.readSnapshot = read;
      return snapshot;
    };
    sim.now += 1_000;
    // Act
    await runPass(sim.dependencies("controller"));
    // Assess: the new boot was told to run postgres, and nothing was taken from it.
    expect(answer!.groups.find((g) => g.id === "postgres")).toMatchObject({
      owner: "db-a",
      epoch: 1,
      resources: { "pg-mount": "online", postgres: "online" },
    });
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
    expect(sim.ec2.callsOf("detachVolume")).toEqual([]);
    expect(sim.ec2.peekVolume(EXAMPLE_EC2.volume)?.attachments).toMatchObject([
      { instanceId: EXAMPLE_EC2.dbA, state: "attached" },
    ]);
    // And the next passes, which see the new boot up, leave the group where it runs.
    await sim.advance(20_000);
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
    expect(sim.ec2.callsOf("detachVolume")).toEqual([]);
  });

  it("does not take a group from a node found silent that reported again before the pass wrote", async () => {
    // Prepare: office-1 runs `reports` (fencing none: nothing but the agent's own self-fence protects it).
    // It is cut off: silent for longer than lease + grace (10 s + 2 s = 12 s), so the pass's snapshot finds it down.
    const sim = new Simulation();
    await sim.advance(30_000);
    expect(sim.store.groups.get("reports")).toMatchObject({ owner: "office-1", epoch: 1, status: "online" });
    sim.silence("office-1");
    await sim.advance(11_000, { passes: false });
    sim.now += 3_000; // 14 s since office-1's last heartbeat, past 12 s
    // The pass reads its snapshot (office-1 silent); office-1's heartbeat then comes through, is recorded and
    // answered (ownership read after its write: still office-1, epoch 1), before the pass writes. The agent
    // holds a fresh lease and is told to run report-svc.
    let answer: ReturnType<typeof answerFor> | undefined;
    const store = sim.store;
    const read = store.readSnapshot.bind(store);
    store.readSnapshot = async () => {
      const snapshot = await read();
      store.heartbeat("office-1", sim.now + 300, { "report-svc": "offline" }, "boot-1", false, { reports: 1 }, 10_000);
      const ownership = new Map<string, GroupOwnership>(
        [...store.groups.values()].map((g) => [
          g.groupId,
          { owner: g.owner, epoch: g.epoch, desired: g.desired, status: g.status },
        ]),
      );
      answer = answerFor(
        sim.index,
        { nodeId: "office-1", bootId: "boot-1", seq: 99, resources: {} },
        sim.now + 300,
        ownership,
      );
      store.readSnapshot = read;
      return snapshot;
    };
    // Act
    await runPass(sim.dependencies("controller"));
    // Assess: office-1 was told to run reports under epoch 1, so the group was not given to db-b.
    expect(answer!.groups.find((g) => g.id === "reports")).toMatchObject({
      owner: "office-1",
      epoch: 1,
      resources: { "report-svc": "online" },
    });
    expect(sim.store.groups.get("reports")).toMatchObject({ owner: "office-1", epoch: 1, status: "online" });
  });
});
