// npm run bench:controller — what a controller pass costs, and how long a failover takes.
//
// 1. Passes with nothing to do over clusters of 10, 100 and 1,000 nodes with as many groups, through
//    the real DynamoDB store against moto_server: DynamoDB requests per pass (counted by an SDK
//    middleware) and this process's CPU time per pass (moto's own work is in another process).
// 2. The example cluster on a simulated clock with zero-latency AWS (the stateful fakes, every
//    transition instant): from a node's last heartbeat to its group online on the target.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { DynamoClusterStateStore } from "../lib/aws/cluster-store.js";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { itemKeys } from "../lib/aws/table-layout.js";
import { runPass } from "../lib/controller/pass.js";
import type { ClusterStateStore } from "../lib/core/controller/adapters.js";
import type { ClusterSnapshot } from "../lib/core/controller/records.js";
import { silenceLimitMs, takeoverGraceMs } from "../lib/core/controller/timing.js";
import { parseDefinition } from "../lib/core/definition/parse.js";
import type { ClusterDefinition } from "../lib/core/definition/types.js";
import { motoEnvironment, startMotoServer } from "../test/support/moto-server.js";
import { InMemoryStateStore } from "../test/support/fakes/state-store.js";
import { Simulation } from "../test/support/simulation.js";
import { createStateTableIn } from "../test/support/state-table.js";
import { idlePassDependencies, onlineRecord } from "./bench-cluster.js";

const PASSES = 100;

function syntheticCluster(size: number): ClusterDefinition {
  const hex = (i: number) => i.toString(16).padStart(17, "0");
  const result = parseDefinition({
    cluster: "bench",
    region: "us-east-1",
    nodes: Array.from({ length: size }, (_, i) => ({
      id: `n-${i}`,
      kind: "ec2",
      instanceId: `i-${hex(i)}`,
      availabilityZone: "us-east-1a",
      principal: "arn:aws:iam::123456789012:role/baton-node",
    })),
    groups: Array.from({ length: size }, (_, i) => ({
      id: `g-${i}`,
      preferredOwners: size > 1 ? [`n-${i}`, `n-${(i + 1) % size}`] : [`n-${i}`],
      resources: [{ id: `svc-${i}`, type: "systemd", unit: `svc-${i}.service` }],
    })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
  return result.definition;
}

async function batchWrite(client: DynamoDBClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items
      .slice(i, i + 25)
      .map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: chunk } }));
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** DynamoDB requests made since `list` was last emptied (an SDK middleware appends to it). */
const counter = { list: [] as string[] };
const BASE = Date.UTC(2026, 10, 22, 12, 0, 0);

/** Each group online on its first preferred owner, as after a quiet day. */

/** PASSES idle passes after one warm-up (lease, guard): this process's CPU per pass, and the requests counted. */
async function idlePasses(definition: ClusterDefinition, store: ClusterStateStore) {
  let now = BASE;
  const deps = idlePassDependencies(definition, store, { now: () => now, holder: "bench" });
  await runPass(deps);
  const cpu: number[] = [];
  const requests: string[] = [];
  for (let i = 0; i < PASSES; i++) {
    now += definition.timing.controllerTickMs;
    counter.list = [];
    const start = process.cpuUsage();
    const summary = await runPass(deps);
    const used = process.cpuUsage(start);
    if (summary.lookedOnly || summary.events.length > 0)
      throw new Error(`pass ${i} was not idle: ${JSON.stringify(summary.events)}`);
    cpu.push((used.user + used.system) / 1000);
    requests.push(counter.list.join("+") || "none");
  }
  return { cpu, requests };
}

/**
 * The in-memory table, minus its own cost: it copies the whole state on every read so that tests
 * cannot alias it, which is not Baton's work. The copy is made once and kept until the next write.
 */
function cachedSnapshots(memory: InMemoryStateStore): ClusterStateStore {
  let cached: Promise<ClusterSnapshot> | undefined;
  const writing =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      cached = undefined;
      return write(...args);
    };
  return {
    readSnapshot: () => (cached ??= memory.readSnapshot()),
    acquireLease: writing(memory.acquireLease.bind(memory)),
    releaseLease: writing(memory.releaseLease.bind(memory)),
    writeGroup: writing(memory.writeGroup.bind(memory)),
    writeGuard: writing(memory.writeGuard.bind(memory)),
    writeJudgedNodes: writing(memory.writeJudgedNodes.bind(memory)),
    settleIntent: writing(memory.settleIntent.bind(memory)),
    appendLog: writing(memory.appendLog.bind(memory)),
  };
}

async function passCost(client: DynamoDBClient, size: number): Promise<string> {
  const definition = syntheticCluster(size);
  // Through the real store against moto. Heartbeats stamped ahead of the bench's clock keep every
  // node up without rewriting them each tick.
  const table = `bench-${size}`;
  await createStateTableIn(client, table);
  await batchWrite(
    client,
    table,
    definition.nodes.map((n, i) => ({
      ...itemKeys.nodeLiveness(n.id),
      nodeId: n.id,
      bootId: "00000000-0000-4000-8000-000000000000",
      seq: 1,
      receivedAt: BASE + 3_600_000,
      bootStartedAt: BASE - 3_600_000,
      // What a node reports after a quiet day: its own group's service online, its neighbour's offline,
      // and the most recent boots it has left (which a pass does not read).
      resources: { [`svc-${i}`]: "online", [`svc-${(i + size - 1) % size}`]: "offline" },
      retiredBoots: Array.from({ length: 16 }, (_, b) => `00000000-0000-4000-8000-${String(b).padStart(12, "0")}`),
    })),
  );
  const store = new DynamoClusterStateStore(client, table);
  for (const g of definition.groups) await store.writeGroup(onlineRecord(g, BASE), 0);
  const whole = await idlePasses(definition, store);

  // The same over an in-memory table: the CPU of Baton's own code, without the SDK's.
  const memory = new InMemoryStateStore();
  for (const n of definition.nodes) memory.heartbeat(n.id, BASE + 3_600_000);
  for (const g of definition.groups) memory.groups.set(g.id, onlineRecord(g, BASE));
  const own = await idlePasses(definition, cachedSnapshots(memory));

  const kinds = [...new Set(whole.requests)]
    .map((k) => `${whole.requests.filter((p) => p === k).length}x ${k}`)
    .join(", ");
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const perNode = (v: number) => `${((v / size) * 1000).toFixed(0)} µs per node`;
  const line = (label: string, cpu: number[]) =>
    `      CPU per pass, ${label} p50 ${ms(percentile(cpu, 50))}, p99 ${ms(percentile(cpu, 99))} (${perNode(percentile(cpu, 50))})`;
  return [
    `${String(size).padStart(5)} nodes, ${String(size).padStart(5)} groups: DynamoDB requests per pass: ${kinds}`,
    line("whole (DynamoDB store over HTTP, SDK included):", whole.cpu),
    line("Baton's own code (in-memory table):            ", own.cpu),
  ].join("\n");
}

async function failoverTime(): Promise<string[]> {
  const lines: string[] = [];
  const results: { total: number; detect: number; agent: number }[] = [];
  for (let offset = 0; offset < 2_000; offset += 500) {
    const sim = new Simulation({
      ec2: { detachDescribes: 0, attachDescribes: 0, stopDescribes: 0 },
      dns: { pendingChecks: 0 },
    });
    await sim.advance(30_000);
    sim.now += offset; // the silence begins at any phase of the tick
    sim.heartbeat();
    const lastBeat = sim.store.liveness.get("db-a")!.receivedAt;
    sim.silence("db-a");
    while (
      sim.store.groups.get("postgres")?.owner !== "db-b" ||
      sim.store.groups.get("postgres")?.status !== "online"
    ) {
      await sim.advance(1_000);
      if (sim.now - lastBeat > 120_000) throw new Error("no failover within 2 minutes");
    }
    const log = sim.store.log.filter((e) => e.groupId === "postgres" && e.epoch === 2);
    const started = log.find((e) => e.event === "failover-started")!.at;
    const firstAgentStep = log.find((e) => e.event === "step" && e.step?.startsWith("await-online"));
    const agentFrom = firstAgentStep ? firstAgentStep.at - (firstAgentStep.durationMs ?? 0) : started;
    const done = log.find((e) => e.event === "failover-completed")!.at;
    results.push({ total: done - lastBeat, detect: started - lastBeat, agent: done - agentFrom });
  }
  const t = exampleTiming();
  for (const r of results) {
    const bound = t.leaseDurationMs + takeoverGraceMs(t) + t.controllerTickMs + r.agent;
    lines.push(
      `  last heartbeat -> online on db-b: ${(r.total / 1000).toFixed(1)} s (detected after ${(r.detect / 1000).toFixed(1)} s; agent start ${(r.agent / 1000).toFixed(1)} s) | bound lease + grace + tick + agent start = ${(bound / 1000).toFixed(1)} s | ${r.total <= bound ? "within" : "OVER"}`,
    );
  }
  return lines;
}

function exampleTiming() {
  return new Simulation().definition.timing;
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  try {
    Object.assign(process.env, motoEnvironment(moto.endpoint));
    const client = createDynamoDbClient({ requestTimeoutMs: 30_000 });
    client.middlewareStack.add(
      (next, context) => (args) => {
        counter.list.push(String(context.commandName).replace("Command", ""));
        return next(args);
      },
      { step: "initialize", name: "benchRequestCounter" },
    );
    console.log(`Controller passes with nothing to do, against moto_server (${PASSES} passes after one warm-up):`);
    for (const size of [10, 100, 1000]) {
      console.log(await passCost(client, size));
    }
    console.log(
      `\nFailover on a simulated clock, example timings (lease 10 s, grace ${takeoverGraceMs(exampleTiming()) / 1000} s, tick 2 s, heartbeat 2 s), zero-latency AWS:`,
    );
    for (const line of await failoverTime()) console.log(line);
    console.log(
      `  (a node is taken for down after ${silenceLimitMs(exampleTiming()) / 1000} s of silence, by AWS-side clocks)`,
    );
  } finally {
    await moto.stop();
  }
}

await main();
