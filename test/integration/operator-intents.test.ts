import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { DynamoIntentStore, IntentRefusedError } from "../../lib/aws/intent-store.js";
import { loadEmbeddedDefinition } from "../../lib/handlers/embedded-definition.js";
import { type Harness, startPlacedHarness } from "./support/controller-harness.js";
import type { worldState } from "./support/world-state.js";

/**
 * Operator intents through the real controller handler against moto (example cluster, fast timing: lease 2 s,
 * failback settle max(30 s, 3 × 2 s) = 30 s): a planned move, two operators racing, a drain that survives an
 * agent restart and is not failed back onto, resume with failback, and the reset of a failed group whose silent
 * old owner is fenced.
 */
const ALICE = "arn:aws:sts::123456789012:assumed-role/ops/alice";
const BOB = "arn:aws:sts::123456789012:assumed-role/ops/bob";

let h: Harness;
let state: ReturnType<typeof worldState>;
let intents: DynamoIntentStore;
let builtAt: number;
const group = (id: string) => state.group(id);
const dynamo = new DynamoDBClient({});

beforeAll(async () => {
  builtAt = Date.now();
  ({ h, state } = await startPlacedHarness());
  h.agents.reportEpochs = true;
  intents = new DynamoIntentStore(dynamo, h.world.tableName, loadEmbeddedDefinition(JSON.stringify(h.world.document)));
}, 60_000);

/** The cluster log since this file's world was built. */
function logEntries(): Promise<Record<string, unknown>[]> {
  return state.logEntries(builtAt);
}

const ALL = ["db-a", "db-b", "office-1"];

describe("operator intents, carried out by the controller", () => {
  it("moves postgres to db-b as a planned move: db-a stops and confirms, no fence, epoch raised, intent taken", async () => {
    // Prepare
    const before = (await group("postgres"))!;
    expect(before).toMatchObject({ owner: "db-a", status: "online" });
    // Act
    const intent = await intents.writeGroupIntent({ groupId: "postgres", action: "move", target: "db-b", by: ALICE });
    await h.driveUntil(
      ALL,
      async () => (await group("postgres"))?.owner === "db-b" && (await group("postgres"))?.status === "online",
      { withinMs: 30_000 },
    );
    // Assess
    const after = (await group("postgres"))!;
    expect(after.epoch).toBe(before.epoch + 1);
    expect(after.failovers).toEqual(before.failovers); // a planned move is no failover
    expect((await state.instance(h.world.instances["db-a"])).State?.Name).toBe("running"); // not fenced
    expect(await state.volumeAttachments()).toEqual([[h.world.instances["db-b"], "/dev/xvdf"]]);
    const settled = (await intents.readIntents()).get("postgres");
    expect(settled).toMatchObject({ id: intent.id, state: "taken", epoch: before.epoch + 1, by: ALICE });
    const log = (await logEntries()).filter((e) => e.groupId === "postgres");
    expect(log.some((e) => e.event === "intent-written" && String(e.detail).includes(ALICE))).toBe(true);
    expect(log.some((e) => e.event === "intent-taken" && String(e.detail).includes(intent.id))).toBe(true);
  }, 60_000);

  it("two operators racing: one intent is written, the other is told whose is pending", async () => {
    // Act: both read the same state, both write.
    const results = await Promise.allSettled([
      intents.writeGroupIntent({ groupId: "postgres", action: "move", target: "db-a", by: ALICE }),
      intents.writeGroupIntent({ groupId: "postgres", action: "move", target: "db-a", by: BOB }),
    ]);
    // Assess
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(IntentRefusedError);
    expect((lost[0]!.reason as IntentRefusedError).code).toBe("conflict");
    expect((lost[0]!.reason as Error).message).toMatch(
      /^group postgres already has a pending move of postgres to db-a, asked by arn:aws:sts::123456789012:assumed-role\/ops\/(alice|bob) at /,
    );
    // The winner's intent is carried out.
    await h.driveUntil(
      ALL,
      async () => (await group("postgres"))?.owner === "db-a" && (await group("postgres"))?.status === "online",
      { withinMs: 30_000 },
    );
  }, 60_000);

  it("refuses a move to a drained node, and a second drain", async () => {
    await intents.drain("office-1", { by: ALICE });
    await expect(intents.drain("office-1", { by: BOB })).rejects.toThrow(
      new RegExp(`^office-1 is already drained \\(by ${ALICE.replace(/\//g, "\\/")} at `),
    );
    await expect(
      intents.writeGroupIntent({ groupId: "reports", action: "move", target: "office-1", by: BOB }),
    ).rejects.toThrow(/^group reports is already on office-1$/);
  });

  it("a drained node's group moves off, and is not failed back onto it across an agent restart", async () => {
    // Act: reports (failback immediate, prefers office-1) leaves the drained office-1.
    await h.driveUntil(
      ALL,
      async () => (await group("reports"))?.owner === "db-b" && (await group("reports"))?.status === "online",
      { withinMs: 30_000 },
    );
    // office-1's agent restarts and its new boot heartbeats past the failback settle time (30 s).
    h.agents.restart("office-1");
    const until = Date.now() + 32_000;
    let drained: readonly string[] = [];
    while (Date.now() < until) {
      await h.agents.beat(ALL);
      const result = await h.pass("drained");
      if ("nodes" in result) drained = result.nodes.drained;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Assess
    expect(await group("reports")).toMatchObject({ owner: "db-b", status: "online" });
    expect(drained).toEqual(["office-1"]);
    const snapshot = await new DynamoClusterStateStore(dynamo, h.world.tableName).readSnapshot();
    expect(snapshot.admin?.get("office-1")).toMatchObject({ drained: true, by: ALICE });
    // Up to 30 s of driving and 32 s of heartbeats past the settle time: its timeout leaves room for both.
  }, 90_000);

  it("resume --failback lets reports return to office-1 under its failback policy", async () => {
    await intents.resume("office-1", { by: BOB, failback: true });
    await h.driveUntil(
      ALL,
      async () => (await group("reports"))?.owner === "office-1" && (await group("reports"))?.status === "online",
      { withinMs: 30_000 },
    );
    expect((await intents.readSnapshot()).admin?.get("office-1")).toBeUndefined();
    const log = await logEntries();
    expect(log.some((e) => e.event === "node-resumed" && String(e.detail).startsWith(`by ${BOB}`))).toBe(true);
  }, 60_000);

  it("resets a failed group --to db-b: its silent old owner db-a is fenced before the volume moves", async () => {
    // Prepare: postgres left failed on db-a (as a failed plan leaves it), and db-a falls silent.
    const store = new DynamoClusterStateStore(dynamo, h.world.tableName);
    const current = (await group("postgres"))!;
    await store.writeGroup(
      { ...current, version: current.version + 1, status: "failed", statusReason: "left failed by the test" },
      current.version,
    );
    await expect(
      intents.writeGroupIntent({ groupId: "postgres", action: "move", target: "db-b", by: ALICE }),
    ).rejects.toThrow(
      /^group postgres is failed \(left failed by the test\): reset it first \(baton reset postgres\)$/,
    );
    // Act
    await intents.writeGroupIntent({ groupId: "postgres", action: "reset", target: "db-b", by: ALICE });
    await h.driveUntil(
      ["db-b", "office-1"],
      async () => (await group("postgres"))?.owner === "db-b" && (await group("postgres"))?.status === "online",
      { withinMs: 40_000, everyMs: 250 },
    );
    // Assess
    expect((await state.instance(h.world.instances["db-a"])).State?.Name).toBe("stopped");
    expect(await state.volumeAttachments()).toEqual([[h.world.instances["db-b"], "/dev/xvdf"]]);
    expect((await group("postgres"))!.failovers).toEqual([]);
  }, 60_000);
});
