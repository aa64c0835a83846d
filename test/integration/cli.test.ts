import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { DeleteTableCommand, DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import type { StatusReport } from "../../lib/cli/status-report.js";
import { baton, STACK_FRAME } from "../support/cli.js";
import { heartbeatEvent, LAMBDA_CONTEXT } from "../support/heartbeat-events.js";
import { motoEnvironment } from "../support/moto-server.js";
import { createStateTableIn } from "../support/state-table.js";
import { callerOf, ObedientAgents } from "./support/cluster-world.js";
import { type Harness, startPlacedHarness } from "./support/controller-harness.js";
import type { worldState } from "./support/world-state.js";

const NODES = ["db-a", "db-b", "office-1"];
/** FAST_TIMING's lease (2s) plus the controller's grace, max(2s, lease / 5) = 2s: a node is up 4s after a heartbeat. */
const UP_FOR_MS = 2_000 + 2_000;

let h: Harness;
let state: ReturnType<typeof worldState>;
let definitionFile: string;
let table: string[];

beforeAll(async () => {
  ({ h, state } = await startPlacedHarness());
  definitionFile = join(mkdtempSync(join(tmpdir(), "baton-cli-")), "cluster.json");
  writeFileSync(definitionFile, JSON.stringify(h.world.document));
  table = ["--table", h.world.tableName];
}, 60_000);

/** Each field's JSON type: "string", "number", "boolean", "null", "array" or "object". */
function typesOf(value: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, v === null ? "null" : Array.isArray(v) ? "array" : typeof v]),
  );
}

function parse(stdout: string): StatusReport {
  return JSON.parse(stdout) as StatusReport;
}

describe("baton status", () => {
  it("after placement: every node up, each group online on its owner, nothing moving (--json)", async () => {
    await h.agents.beat(NODES);
    const run = await baton(["status", ...table, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = parse(run.stdout);
    const postgres = (await state.group("postgres"))!;
    expect(report.table).toBe(h.world.tableName);
    expect(report.nodes.map((n) => [n.id, n.state])).toEqual([
      ["db-a", "up"],
      ["db-b", "up"],
      ["office-1", "up"],
    ]);
    for (const node of report.nodes) {
      expect(node.heartbeatAgeMs).toBeGreaterThanOrEqual(0);
      expect(node.heartbeatAgeMs).toBeLessThan(UP_FOR_MS);
      expect(node.drained).toBe(false);
      expect(node.inDefinition).toBeNull(); // no -c FILE
    }
    expect(report.nodes.find((n) => n.id === "db-a")!.resources).toMatchObject({
      "pg-mount": "online",
      postgres: "online",
    });
    expect(report.groups.map((g) => [g.id, g.status, g.owner])).toEqual([
      ["postgres", "online", "db-a"],
      ["reports", "online", "office-1"],
    ]);
    expect(report.groups[0]).toMatchObject({ epoch: postgres.epoch, since: postgres.since, move: null, failovers: 0 });
    expect(report.guard.frozen).toBe(false);
    expect(report.moves).toEqual([]);
  });

  it("the contract's fields, each of its documented type", async () => {
    const report = parse((await baton(["status", ...table, "--json", "-c", definitionFile])).stdout);
    expect(Object.keys(report).sort()).toEqual([
      "clockSkewMs",
      "cluster",
      "controller",
      "groups",
      "guard",
      "intents",
      "moves",
      "nodes",
      "readAt",
      "table",
    ]);
    expect(report.cluster).toBe("orders-db");
    expect(Object.keys(report.nodes[0]!).sort()).toEqual([
      "admin",
      "agentVersion",
      "bootId",
      "bootStartedAt",
      "drained",
      "heartbeatAgeMs",
      "id",
      "inDefinition",
      "lastHeartbeatAt",
      "resources",
      "state",
      "upUntil",
    ]);
    expect(Object.keys(report.groups[0]!).sort()).toEqual([
      "epoch",
      "failovers",
      "id",
      "move",
      "owner",
      "reason",
      "since",
      "status",
      "unconfirmedSources",
    ]);
    expect(Object.keys(report.guard).sort()).toEqual(["countedOut", "frozen", "since", "voters"]);
    expect(typesOf(report.nodes[0]!)).toEqual({
      id: "string",
      state: "string",
      inDefinition: "boolean",
      lastHeartbeatAt: "number",
      heartbeatAgeMs: "number",
      bootId: "string",
      bootStartedAt: "number",
      upUntil: "number",
      agentVersion: "null",
      drained: "boolean",
      admin: "null",
      resources: "object",
    });
    expect(typesOf(report.groups[0]!)).toEqual({
      id: "string",
      status: "string",
      owner: "string",
      epoch: "number",
      since: "number",
      reason: "string",
      failovers: "number",
      unconfirmedSources: "array",
      move: "null",
    });
    expect(report.intents).toEqual([]);
    expect(typesOf(report.controller!)).toEqual({ holder: "string", expiresAt: "number", active: "boolean" });
    expect(report.guard.voters).toBe(3);
    expect(report.nodes.every((n) => n.inDefinition === true)).toBe(true);
  });

  it("a node is up until lease + grace after its last heartbeat, then down (judged as the controller does)", async () => {
    // db-b's last heartbeat made older by hand: 1s inside the bound, then 1s past it (the exact bound: unit tests).
    const client = new DynamoDBClient({});
    const heardAgo = async (ms: number) => {
      const receivedAt = Date.now() - ms;
      await client.send(
        new UpdateItemCommand({
          TableName: h.world.tableName,
          Key: { pk: { S: "state" }, sk: { S: "node#db-b" } },
          UpdateExpression: "SET receivedAt = :at, leaseUntil = :until",
          ExpressionAttributeValues: { ":at": { N: String(receivedAt) }, ":until": { N: String(receivedAt + 2_000) } },
        }),
      );
    };
    for (const config of [[], ["-c", definitionFile]]) {
      const dbB = async () =>
        parse((await baton(["status", ...table, ...config, "--json"])).stdout).nodes.find((n) => n.id === "db-b")!;
      await heardAgo(UP_FOR_MS - 1_000);
      expect((await dbB()).state).toBe("up");
      await heardAgo(UP_FOR_MS + 1_000);
      const down = await dbB();
      expect(down.state).toBe("down");
      expect(down.heartbeatAgeMs).toBeGreaterThanOrEqual(UP_FOR_MS + 1_000);
      expect(down.heartbeatAgeMs).toBeLessThan(UP_FOR_MS + 2_000);
    }
    await h.agents.beat(NODES);
  });

  it("judges by AWS's clock when this machine's is a minute ahead, and says so", async () => {
    await h.agents.beat(NODES);
    const run = await baton(["status", ...table, "--json"], { now: () => Date.now() + 60_000 });
    const report = parse(run.stdout);
    expect(Math.abs(report.clockSkewMs + 60_000)).toBeLessThan(1_600); // the Date header has a resolution of 1s
    expect(report.nodes.map((n) => n.state)).toEqual(["up", "up", "up"]);
    for (const node of report.nodes) expect(Math.abs(node.heartbeatAgeMs!)).toBeLessThan(UP_FOR_MS);
    const text = await baton(["status", ...table], { now: () => Date.now() + 60_000 });
    expect(text.stdout).toMatch(
      /\(this machine's clock is (59\.\ds|60\.0s|1m 0\ds) ahead of AWS's: times and ages below are corrected\)/,
    );
  });

  it("prints a table for people", async () => {
    const run = await baton(["status", ...table]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}db-a +up +[\d.]+(ms|s) ago +- +\d+ online/m);
    expect(run.stdout).toMatch(/^ {2}postgres +online +db-a +\d+ /m);
    expect(run.stdout).toContain("Guard\n  not frozen (3 voters)");
    expect(run.stdout).toContain("Moves under way\n  none");
  });

  it("--watch reads again until interrupted, one JSON document per line with --json", async () => {
    const stop = new AbortController();
    let reads = 0;
    const run = await baton(["status", ...table, "--json", "--watch", "1"], {
      signal: stop.signal,
      sleep: () => {
        if (++reads === 3) stop.abort();
        return Promise.resolve();
      },
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(parse(line).groups).toHaveLength(2);
  });

  it("--watch goes on through a failed read, saying so on stderr", async () => {
    const client = new DynamoDBClient({});
    await createStateTableIn(client, "baton-watch-it");
    const stop = new AbortController();
    let sleeps = 0;
    const run = await baton(["status", "--table", "baton-watch-it", "--json", "--watch", "1"], {
      signal: stop.signal,
      sleep: async () => {
        sleeps++;
        if (sleeps === 1) await client.send(new DeleteTableCommand({ TableName: "baton-watch-it" }));
        if (sleeps === 2) await createStateTableIn(client, "baton-watch-it");
        if (sleeps === 3) stop.abort();
      },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^read failed at \S+, trying again in 1s: AWS says it does not exist \(/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stdout.trim().split("\n")).toHaveLength(3); // the last report again while the read failed
    await client.send(new DeleteTableCommand({ TableName: "baton-watch-it" }));
  });

  it("finds the table from the stack baton-<cluster>'s outputs", async () => {
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: "baton-orders-db",
        TemplateBody: JSON.stringify({
          Resources: { Handle: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
          Outputs: {
            TableName: { Value: h.world.tableName },
            ControllerFunctionName: { Value: "baton-orders-db-controller" },
          },
        }),
      }),
    );
    for (const args of [
      ["--cluster", "orders-db"],
      ["-c", definitionFile],
    ]) {
      const run = await baton(["status", ...args, "--json"]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(parse(run.stdout)).toMatchObject({ cluster: "orders-db", table: h.world.tableName });
    }
    const fromEnv = await baton(["status", "--json"], { env: { BATON_CLUSTER: "orders-db" } });
    expect(parse(fromEnv.stdout).table).toBe(h.world.tableName);
  });

  it("bin/baton in its own process reaches the table through AWS_ENDPOINT_URL", () => {
    const run = spawnSync(process.execPath, ["bin/baton", "status", ...table, "--json"], {
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: process.env.PATH, ...motoEnvironment(inject("motoEndpoint")) },
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(parse(run.stdout).groups.map((g) => g.id)).toEqual(["postgres", "reports"]);
  });

  it("a cluster without a stack is bad input naming the stack and the region", async () => {
    const run = await baton(["status", "--cluster", "nope"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "baton: cluster nope: there is no stack baton-nope in us-east-1. Check the cluster name and --region (or AWS_REGION), or give --table NAME.\n",
    );
  });

  it("a table that does not exist is bad input (exit 2) that says what to check, without a stack trace", async () => {
    const run = await baton(["status", "--table", "no-such-table"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^baton: AWS says it does not exist \(.*ResourceNotFoundException.*\)\. Check the names/,
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

describe("baton history", () => {
  it("shows the controller's placement of a group from the real log", async () => {
    const run = await baton(["history", "postgres", ...table, "--json"]);
    expect(run.code).toBe(0);
    const { entries } = JSON.parse(run.stdout) as { entries: { group: string; event: string }[] };
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.group === "postgres")).toBe(true);
    expect(entries.map((e) => e.event)).toContain("failover-completed");
  });

  it("reads across a day boundary, in time order, only within --since and about the subject", async () => {
    const store = new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName);
    const at = (iso: string) => Date.parse(iso);
    await store.appendLog([
      {
        at: at("2026-11-21T20:00:00Z"),
        groupId: "postgres",
        epoch: 3,
        event: "failover-started",
        outcome: "too early",
      },
      { at: at("2026-11-21T23:50:00Z"), groupId: "postgres", epoch: 4, event: "failover-started", outcome: "started" },
      {
        at: at("2026-11-21T23:55:00Z"),
        groupId: "reports",
        epoch: 2,
        event: "failover-started",
        outcome: "other group",
      },
      {
        at: at("2026-11-22T00:10:00Z"),
        groupId: "postgres",
        epoch: 4,
        event: "step",
        step: "fence",
        outcome: "done",
        durationMs: 1_500,
      },
      { at: at("2026-11-22T00:20:00Z"), groupId: null, epoch: null, event: "guard-frozen", outcome: "frozen" },
      // Stamped by the controller after this machine's "now": its clock is behind AWS's.
      { at: at("2026-11-22T00:35:00Z"), groupId: "postgres", epoch: 4, event: "failover-completed", outcome: "ahead" },
    ]);
    const now = () => at("2026-11-22T00:30:00Z");
    const run = await baton(["history", "postgres", ...table, "--since", "1h", "--json"], { now });
    expect(run.code).toBe(0);
    const { entries } = JSON.parse(run.stdout) as { entries: { at: number; outcome: string }[] };
    expect(entries.map((e) => [new Date(e.at).toISOString(), e.outcome])).toEqual([
      ["2026-11-21T23:50:00.000Z", "started"],
      ["2026-11-22T00:10:00.000Z", "done"],
      ["2026-11-22T00:35:00.000Z", "ahead"],
    ]);
    const all = await baton(["history", ...table, "--since", "2026-11-21T23:00:00Z"], { now });
    expect(all.stdout).toContain("5 log entries since 2026-11-21T23:00:00Z:");
    expect(all.stdout).toMatch(/2026-11-22 00:10:00\.000 +postgres +4 +step +fence +done +1\.5s/);
    expect(all.stdout).toMatch(/2026-11-22 00:20:00\.000 +- +- +guard-frozen/);
  });

  it("a node's history: entries naming it in their outcome or detail, not a node whose name merely starts with it", async () => {
    const store = new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName);
    const at = Date.parse("2026-10-05T12:00:00Z");
    await store.appendLog([
      {
        at,
        groupId: null,
        epoch: null,
        event: "node-drained",
        outcome: "drained db-b",
        detail: "by arn:aws:iam::1:user/op",
      },
      {
        at: at + 1,
        groupId: "reports",
        epoch: 5,
        event: "failover-started",
        outcome: "started",
        detail: "db-b -> office-1",
      },
      { at: at + 2, groupId: null, epoch: null, event: "node-drained", outcome: "drained db-bb", detail: "by someone" },
    ]);
    const run = await baton(["history", "db-b", ...table, "--since", "2026-10-05T11:00:00Z", "--json"], {
      now: () => at + 60_000,
    });
    const { entries } = JSON.parse(run.stdout) as { entries: { event: string; outcome: string }[] };
    expect(entries.map((e) => [e.event, e.outcome])).toEqual([
      ["node-drained", "drained db-b"],
      ["failover-started", "started"],
    ]);
  });
});

describe("baton unfreeze", () => {
  it("does nothing when the guard is not frozen", async () => {
    const run = await baton(["unfreeze", ...table, "--yes"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("The guard is not frozen: nothing to do.\n");
  });

  it("deletes a frozen guard only with --yes, conditioned on what it read, and logs who did it", async () => {
    const store = new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName);
    const guard = (await store.readSnapshot()).guard!;
    await store.writeGuard({ ...guard, version: guard.version + 1, frozen: true, since: Date.now() }, guard.version);
    const unconfirmed = await baton(["unfreeze", ...table]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("baton: the guard is frozen; silent: ");
    expect(unconfirmed.stderr).toContain("run again with --yes.");
    expect((await store.readSnapshot()).guard?.frozen).toBe(true);

    const run = await baton(["unfreeze", ...table, "--yes", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect((await store.readSnapshot()).guard).toBeNull();
    const log = JSON.parse((await baton(["history", ...table, "--since", "1m", "--json"])).stdout) as {
      entries: { event: string; detail: string }[];
    };
    const entry = log.entries.find((e) => e.event === "guard-deleted")!;
    expect(entry.detail).toMatch(/^by arn:aws:(iam|sts)::\d+:\S+; silent: /);
  });
});

describe("baton start-node", () => {
  it("refuses without a definition or --instance, naming both", async () => {
    const run = await baton(["start-node", "db-b", ...table]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("db-b: which instance? Give -c FILE");
  });

  it("refuses an on-premise node and a node not in the definition", async () => {
    expect((await baton(["start-node", "office-1", ...table, "-c", definitionFile])).stderr).toContain(
      "office-1 is an on-premise node",
    );
    const unknown = await baton(["start-node", "db-z", ...table, "-c", definitionFile]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("db-z: no node of that name");
  });

  it("starts a stopped instance and waits for the first heartbeat of a new boot", async () => {
    await h.agents.beat(NODES);
    const store = new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName);
    const oldBoot = (await store.readSnapshot()).liveness.get("db-b")!.bootId;
    const instance = h.world.instances["db-b"];
    await new EC2Client({}).send(new StopInstancesCommand({ InstanceIds: [instance], Force: true }));
    // The node's new boot: an agent run with a new boot id, heartbeating once its instance runs.
    const rebooted = new ObedientAgents(h.world, (await import("../../lambdas/heartbeat.js")).handler);
    let done = false;
    const agent = (async () => {
      while (!done) {
        if ((await state.instance(instance)).State?.Name === "running") await rebooted.beat(["db-b"]);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const run = await baton(["start-node", "db-b", ...table, "-c", definitionFile, "--timeout", "20s", "--json"], {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200))),
    });
    done = true;
    await agent;
    expect(run.stderr).toContain(`db-b: starting ${instance}; waiting for the first heartbeat of its new boot...`);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { started: boolean; bootId: string; instanceId: string };
    expect(report).toMatchObject({ started: true, instanceId: instance });
    expect(report.bootId).not.toBe(oldBoot);
    expect((await state.instance(instance)).State?.Name).toBe("running");
  });

  it("fails (exit 1) when no heartbeat of a new boot comes within --timeout, saying where to look", async () => {
    const instance = h.world.instances["db-b"];
    await new EC2Client({}).send(new StopInstancesCommand({ InstanceIds: [instance], Force: true }));
    const run = await baton(["start-node", "db-b", ...table, "-c", definitionFile, "--timeout", "1s"], {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100))),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("baton: db-b: ");
    expect(run.stderr).toContain("no heartbeat of a new boot arrived within 1s. Check its agent on the instance");
  });
});

describe("the agent's version", () => {
  // Last in the file: a new boot of office-1, which the harness's agents (its old boot) could no longer speak for.
  it("status shows the version an agent sends in its heartbeats", async () => {
    const heartbeat = (await import("../../lambdas/heartbeat.js")).handler;
    const answer = await heartbeat(
      heartbeatEvent(
        { nodeId: "office-1", bootId: randomUUID(), seq: 1, resources: {}, agentVersion: "0.3.1" },
        callerOf(h.world, "office-1"),
      ),
      LAMBDA_CONTEXT,
    );
    expect(answer.statusCode).toBe(200);
    const report = parse((await baton(["status", ...table, "--json"])).stdout);
    expect(report.nodes.map((n) => [n.id, n.agentVersion])).toEqual([
      ["db-a", null],
      ["db-b", null],
      ["office-1", "0.3.1"],
    ]);
    expect((await baton(["status", ...table])).stdout).toMatch(/^ {2}office-1 +up +\S+ ago +0\.3\.1 /m);
  });
});
