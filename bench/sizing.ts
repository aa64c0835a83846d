// npm run bench:sizing — what memory each function needs, from measurements at 3, 100 and 1,000 nodes.
//
// The real handlers, stores and SDK against moto_server: per heartbeat, the handler's wall time and this process's
// CPU time (moto's own work is in another process); per idle controller pass, the same and the heap it allocates.
// Lambda gives a function CPU in proportion to its memory (a whole vCPU at 1,769 MB), so at M MB the CPU part of a
// request takes about cpu x 1769 / M, while the time spent waiting on DynamoDB does not change: billed GB-s
// = wait x M / 1024 + cpu x 1769 / 1024, smallest at the smallest memory that holds the function. The wait measured
// here is moto's, slower than DynamoDB's: an upper bound. The SDK keeps its connection alive, as in Lambda, through
// a proxy in front of moto (bench/keep-alive-proxy.ts), so a TCP connect per call is not counted as the function's.
import { randomUUID } from "node:crypto";
import { DynamoClusterStateStore } from "../lib/aws/cluster-store.js";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../lib/aws/heartbeat-store.js";
import { indexCluster } from "../lib/core/cluster-index.js";
import { runPass } from "../lib/controller/pass.js";
import type { HeartbeatAnswer } from "../lib/core/heartbeat/answer.js";
import { createHeartbeatHandler } from "../lib/handlers/heartbeat.js";
import { heartbeatMemoryMb } from "../lib/infra/heartbeat-function.js";
import { controllerMemoryMb } from "../lib/infra/controller-function.js";
import { heartbeatEvent, LAMBDA_CONTEXT } from "../test/support/heartbeat-events.js";
import { callerOf, idlePassDependencies, onlineRecord, reportAfter } from "./bench-cluster.js";
import { exampleDefinition } from "../test/support/example-cluster.js";
import { motoEnvironment, startMotoServer } from "../test/support/moto-server.js";
import { createStateTableIn } from "../test/support/state-table.js";
import { startKeepAliveProxy } from "./keep-alive-proxy.js";
import { atMemory, type Sample } from "./lambda-memory.js";
import { syntheticCluster } from "./synthetic-cluster.js";

const SIZES = [3, 100, 1000] as const;
/** Heartbeats measured per size, after one warm-up round of every node. */
const HEARTBEATS = Number(process.env.BENCH_SIZING_HEARTBEATS ?? 300);
const PASSES = Number(process.env.BENCH_SIZING_PASSES ?? 10);
const CANDIDATES_MB = [128, 256, 512] as const;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
/** The heap in use once garbage is collected (`npm run bench:sizing` runs node with --expose-gc). */
const settledHeap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function candidates(sample: Sample): string {
  return CANDIDATES_MB.map((m) => {
    const at = atMemory(sample, m);
    return `${m} MB ${at.billedMs} ms ${(at.gbS * 1e6).toFixed(0)} µGB-s`;
  }).join(", ");
}

async function measureSize(size: number) {
  const definition = size === 3 ? exampleDefinition() : syntheticCluster(size);
  const client = createDynamoDbClient({ requestTimeoutMs: 30_000 });
  const table = `sizing-${size}-${randomUUID().slice(0, 8)}`;
  await createStateTableIn(client, table);
  let now = Date.UTC(2026, 11, 1, 4, 0, 0);
  const clusterStore = new DynamoClusterStateStore(client, table);
  for (const group of definition.groups) await clusterStore.writeGroup(onlineRecord(group, now), 0);

  // The heartbeat handler, wired as lambdas/heartbeat.ts wires it (its wake-up's invoke counted, never made).
  const store = new DynamoHeartbeatStore(client, table);
  const heapBefore = settledHeap();
  const handler = createHeartbeatHandler({
    index: indexCluster(definition),
    store,
    clock: { now: () => now },
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    wake: { store, invoke: () => Promise.resolve() },
  });
  const heapOfIndex = settledHeap() - heapBefore;
  // Agents that do at once what each answer says: they report its resources and the epochs they obey.
  interface Agent {
    readonly bootId: string;
    resources: Record<string, string>;
    epochs: Record<string, number>;
  }
  const agents = new Map<string, Agent>(
    definition.nodes.map((n) => [n.id, { bootId: randomUUID(), resources: {}, epochs: {} }]),
  );
  let seq = 0;
  const samples: Sample[] = [];
  const beat = async (nodeId: string, measured: boolean) => {
    const agent = agents.get(nodeId)!;
    const body = { nodeId, bootId: agent.bootId, seq: ++seq, resources: agent.resources, epochs: agent.epochs };
    const event = heartbeatEvent(body, callerOf(definition, nodeId));
    const cpu = process.cpuUsage();
    const start = performance.now();
    const response = await handler(event, LAMBDA_CONTEXT);
    const wallMs = performance.now() - start;
    if (response.statusCode !== 200) throw new Error(`heartbeat answered ${response.statusCode}: ${response.body}`);
    const answer = JSON.parse(String(response.body)) as HeartbeatAnswer;
    Object.assign(agent, reportAfter(answer, nodeId));
    if (measured) samples.push({ wallMs, cpuMs: cpuMs(cpu) });
  };
  for (const node of definition.nodes) await beat(node.id, false);
  const interval = definition.timing.heartbeatIntervalMs;
  while (samples.length < HEARTBEATS) {
    now += interval;
    for (const node of definition.nodes) {
      if (samples.length >= HEARTBEATS) break;
      await beat(node.id, true);
    }
  }
  const heartbeat: Sample = {
    wallMs: median(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
  };

  // Idle controller passes over the same table (every node has just heartbeated).
  const deps = idlePassDependencies(definition, clusterStore, { now: () => now, holder: "sizing" });
  await runPass(deps);
  const passes: Sample[] = [];
  const heaps: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const heap = settledHeap();
    const cpu = process.cpuUsage();
    const start = performance.now();
    const summary = await runPass(deps);
    passes.push({ wallMs: performance.now() - start, cpuMs: cpuMs(cpu) });
    heaps.push(process.memoryUsage().heapUsed - heap);
    if (summary.lookedOnly || summary.events.length > 0)
      throw new Error(`pass ${i} was not idle: ${JSON.stringify(summary.events).slice(0, 400)}`);
  }
  const pass: Sample = { wallMs: median(passes.map((s) => s.wallMs)), cpuMs: median(passes.map((s) => s.cpuMs)) };
  return { size, heartbeat, heapOfIndex, pass, passHeap: Math.max(...heaps) };
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  const proxy = await startKeepAliveProxy(moto.endpoint);
  try {
    Object.assign(process.env, motoEnvironment(proxy.endpoint));
    console.log(
      `Per request against moto_server (p50 of ${HEARTBEATS} heartbeats, of ${PASSES} idle passes); template: heartbeat ${heartbeatMemoryMb} MB, controller ${controllerMemoryMb} MB`,
    );
    for (const size of SIZES) {
      const m = await measureSize(size);
      const f = (s: Sample) => `${s.wallMs.toFixed(2)} ms wall, ${s.cpuMs.toFixed(2)} ms CPU`;
      console.log(
        `sizing, ${size} nodes: heartbeat ${f(m.heartbeat)} (index ${mb(m.heapOfIndex)} of heap) -> ${candidates(m.heartbeat)}`,
      );
      console.log(
        `sizing, ${size} nodes: controller pass ${f(m.pass)}, up to ${mb(m.passHeap)} of heap allocated -> ${candidates(m.pass)}`,
      );
    }
    const usage = process.memoryUsage();
    console.log(`this process at the end: rss ${mb(usage.rss)}, heap used ${mb(usage.heapUsed)}`);
  } finally {
    proxy.stop();
    await moto.stop();
  }
}

await main();
