import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { baton, type CliRun, STACK_FRAME } from "../support/cli.js";
import { type Harness, startPlacedHarness } from "./support/controller-harness.js";
import type { worldState } from "./support/world-state.js";

/**
 * The acting commands through the real CLI entry against moto, with the real controller handler making the passes
 * (no --function: the CLI says the controller was not woken and that its next pass carries the intent out).
 */
const NODES = ["db-a", "db-b", "office-1"];
let h: Harness;
let state: ReturnType<typeof worldState>;
let args: string[];

beforeAll(async () => {
  ({ h, state } = await startPlacedHarness());
  h.agents.reportEpochs = true;
  const file = join(mkdtempSync(join(tmpdir(), "baton-cli-")), "cluster.json");
  writeFileSync(file, JSON.stringify(h.world.document));
  args = ["--table", h.world.tableName, "-c", file];
}, 60_000);

/** Runs `baton argv` while the agents heartbeat and the controller makes passes, until the command ends. */
async function whileDriving(argv: string[]): Promise<CliRun> {
  let done = false;
  const run = baton(argv).finally(() => (done = true));
  while (!done) {
    await h.agents.beat(NODES);
    await h.pass("cli-driver");
    await sleep(100);
  }
  return run;
}

describe("baton move, drill, drain, resume", () => {
  it("move --to db-b: follows the move to completion, says the controller was not woken, exit 0", async () => {
    const run = await whileDriving(["move", "postgres", "--to", "db-b", "--json", ...args]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ state: "done", owner: "db-b", intent: { state: "taken" } });
    expect(run.stderr).toContain("The controller was not woken up (no controller function is known (--function))");
    expect(run.stderr).toMatch(/postgres: db-a -> db-b: await-offline /);
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", status: "online" });
  }, 60_000);

  it("move refused: a node that is not a preferred owner, exit 1 with the reason, nothing written", async () => {
    const run = await baton(["move", "postgres", "--to", "office-1", ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "baton: --to: office-1 is not a preferred owner of group postgres (preferred owners: db-a, db-b)\n",
    );
  });

  it("drill --back: two timed legs, each step with its duration, and the total", async () => {
    const run = await whileDriving(["drill", "postgres", "--back", "--json", ...args]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      legs: {
        from: string;
        to: string;
        state: string;
        totalMs: number;
        steps: { step: string; durationMs: number }[];
      }[];
    };
    expect(report.legs.map((l) => [l.from, l.to, l.state])).toEqual([
      ["db-b", "db-a", "done"],
      ["db-a", "db-b", "done"],
    ]);
    for (const leg of report.legs) {
      expect(leg.totalMs).toBeGreaterThan(0);
      expect(leg.steps.map((s) => s.step)).toContain("attach-volume data");
      expect(leg.steps.every((s) => typeof s.durationMs === "number")).toBe(true);
    }
  }, 90_000);

  it("drain, a second drain refused naming who drained it, resume --failback", async () => {
    const first = await whileDriving(["drain", "office-1", ...args]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("office-1 is drained and owns no group.\n");
    const second = await baton(["drain", "office-1", ...args]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^baton: office-1 is already drained \(by arn:aws:(iam|sts)::\d+:\S+ at /);
    const resumed = await baton(["resume", "office-1", "--failback", ...args]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(
      "office-1 resumed: groups may be placed on it and fail back to it under their failback policy.\n",
    );
  }, 60_000);

  it("move whose every step falls between two of the CLI's reads: the steps told from the cluster log, in order", async () => {
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", status: "online" });
    // The CLI's wait between reads is where the whole move happens: it reads the intent pending, then the group done.
    const run = await baton(["move", "postgres", "--to", "db-a", ...args], { sleep: () => driveUntilOnline("db-a") });
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(0);
    const steps = run.stderr.split("\n").filter((l) => l.startsWith("postgres: db-b -> db-a: "));
    // Each step of postgres's move once, in the order the plan runs them (the definition's volume, mount, unit,
    // address and record; the fence of db-b's instance), as when the CLI reads the plan on its way.
    expect(steps.map((l) => l.slice("postgres: db-b -> db-a: ".length))).toEqual([
      "check-volume-zone data",
      "await-offline postgres",
      "await-offline pg-mount",
      expect.stringMatching(/^fence i-[0-9a-f]+$/),
      "detach-volume data",
      "attach-volume data",
      "await-online pg-mount",
      "await-online postgres",
      "associate-address ip",
      "upsert-record dns",
    ]);
  }, 60_000);

  it("drill whose last log entries come after the group is read online: awaited, so every step and the total are told", async () => {
    expect(await state.group("postgres")).toMatchObject({ owner: "db-a", status: "online" });
    // The CLI's first wait: the whole move, then its completing pass's log entries taken away, as if that pass had
    // written the group and not yet appended the log (pass.ts appends after the groups); its next wait: they arrive.
    let withheld: Record<string, AttributeValue>[] | null = null;
    const sleep = async () => {
      if (withheld === null) {
        await driveUntilOnline("db-b");
        withheld = await takeCompletionEntries("postgres");
      } else {
        for (const item of withheld.splice(0))
          await dynamodb.send(new PutItemCommand({ TableName: TableName(), Item: item }));
      }
    };
    const run = await baton(["drill", "postgres", "--to", "db-b", "--json", ...args], { sleep });
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.code).toBe(0);
    expect(withheld).toEqual([]);
    const steps = run.stderr.split("\n").filter((l) => l.startsWith("postgres: db-a -> db-b: "));
    expect(steps.at(-1)).toBe("postgres: db-a -> db-b: upsert-record dns");
    const report = JSON.parse(run.stdout) as {
      legs: { state: string; totalMs: number | null; steps: { step: string }[] }[];
    };
    expect(report.legs[0]?.state).toBe("done");
    expect(report.legs[0]?.totalMs).toBeGreaterThan(0);
    expect(report.legs[0]!.steps.map((s) => s.step).at(-1)).toBe("upsert-record dns");
  }, 60_000);
});

/** Heartbeats and passes until postgres is online on `node`. */
async function driveUntilOnline(node: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const group = await state.group("postgres");
    if (group?.owner === node && group.status === "online") return;
    await h.agents.beat(NODES);
    await h.pass("cli-driver");
  }
  throw new Error(`postgres did not come online on ${node}`);
}

const dynamodb = new DynamoDBClient({});
const TableName = () => h.world.tableName;

/** Deletes the log entries of the pass that completed the group's current move (those at its completion's time). */
async function takeCompletionEntries(groupId: string): Promise<Record<string, AttributeValue>[]> {
  const { epoch } = (await state.group(groupId))!;
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: TableName(), ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const mine = items.filter(
    (i) => i.pk?.S?.startsWith("log#") && i.groupId?.S === groupId && i.epoch?.N === `${epoch}`,
  );
  const completed = mine.find((i) => i.event?.S === "failover-completed");
  if (completed === undefined) throw new Error("no failover-completed entry to take");
  const taken = mine.filter((i) => i.at?.N === completed.at?.N);
  for (const item of taken) {
    await dynamodb.send(new DeleteItemCommand({ TableName: TableName(), Key: { pk: item.pk!, sk: item.sk! } }));
  }
  return taken;
}
