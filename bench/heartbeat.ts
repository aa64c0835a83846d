// npm run bench:heartbeat — heartbeat handler latency against moto_server, and the bundled function's size.
//
// What the handler adds on top of DynamoDB is measured per request: its whole duration minus the
// span of its table calls (the conditional write, then the owners' read: one after the other, docs/protocol.md).
// The raw UpdateItem round trip is printed beside it for scale.
import { randomUUID } from "node:crypto";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../lib/aws/heartbeat-store.js";
import type { HeartbeatStore } from "../lib/core/heartbeat/store.js";
import { createHeartbeatHandler } from "../lib/handlers/heartbeat.js";
import { createStateTableIn } from "../test/support/state-table.js";
import { CALLERS, heartbeatEvent, LAMBDA_CONTEXT } from "../test/support/heartbeat-events.js";
import { exampleIndex } from "../test/support/example-cluster.js";
import { motoEnvironment, startMotoServer } from "../test/support/moto-server.js";
import { bundledHeartbeatSize } from "./bundle-size.js";

const HEARTBEATS = Number(process.env.BENCH_HEARTBEATS ?? 2000);
const WARMUP = 200;
const TABLE = "baton-bench";
const nodes = ["db-a", "db-b", "office-1"] as const;

/** Wraps the real store and keeps, per request, the span from the first table call's start to the last one's end. */
function timedStore(inner: HeartbeatStore) {
  let first = Infinity;
  let last = 0;
  const time = async <T>(call: () => Promise<T>): Promise<T> => {
    first = Math.min(first, performance.now());
    try {
      return await call();
    } finally {
      last = Math.max(last, performance.now());
    }
  };
  const store: HeartbeatStore = {
    recordHeartbeat: (h, at, lease) => time(() => inner.recordHeartbeat(h, at, lease)),
    readOwnership: (ids) => time(() => inner.readOwnership(ids)),
  };
  return {
    store,
    span: () => {
      const span = last - first;
      first = Infinity;
      last = 0;
      return span;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => `${v.toFixed(2)} ms`;
  return `${label.padEnd(34)} p50 ${f(percentile(sorted, 50))}   p99 ${f(percentile(sorted, 99))}   max ${f(sorted.at(-1) ?? NaN)}`;
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  try {
    Object.assign(process.env, motoEnvironment(moto.endpoint));
    const client = createDynamoDbClient();
    await createStateTableIn(client, TABLE);
    const timed = timedStore(new DynamoHeartbeatStore(client, TABLE));
    const logger = { debug: () => undefined, warn: () => undefined, error: () => undefined };
    const index = exampleIndex();
    // Each node heartbeats once per interval, as agents do (faster, the handler refuses it with 429):
    // the handler's clock moves one interval on after every round of the three nodes.
    let now = Date.now();
    const handler = createHeartbeatHandler({
      index,
      store: timed.store,
      clock: { now: () => now },
      logger,
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    });
    const boots = Object.fromEntries(nodes.map((n) => [n, randomUUID()]));

    const total: number[] = [];
    const io: number[] = [];
    const added: number[] = [];
    for (let i = 0; i < WARMUP + HEARTBEATS; i++) {
      const nodeId = nodes[i % nodes.length]!;
      const event = heartbeatEvent({ nodeId, bootId: boots[nodeId], seq: i, resources: {} }, CALLERS[nodeId]);
      const start = performance.now();
      const response = await handler(event, LAMBDA_CONTEXT);
      const duration = performance.now() - start;
      if (i % nodes.length === nodes.length - 1) now += index.definition.timing.heartbeatIntervalMs;
      const span = timed.span();
      if (response.statusCode !== 200)
        throw new Error(`heartbeat ${i} answered ${response.statusCode}: ${response.body}`);
      if (i < WARMUP) continue;
      total.push(duration);
      io.push(span);
      added.push(duration - span);
    }

    const raw: number[] = [];
    for (let i = 0; i < HEARTBEATS; i++) {
      const start = performance.now();
      await client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: marshall({ pk: "bench#raw", sk: "raw" }),
          UpdateExpression: "SET n = :n",
          ExpressionAttributeValues: marshall({ ":n": i }),
        }),
      );
      raw.push(performance.now() - start);
    }

    console.log(`Heartbeat handler against moto_server, ${HEARTBEATS} heartbeats (after ${WARMUP} warm-up), 3 nodes:`);
    console.log(summary("handler, whole request", total));
    console.log(summary("  of which DynamoDB calls (span)", io));
    console.log(summary("  added by the handler", added));
    console.log(summary("raw UpdateItem round trip", raw));
    const size = bundledHeartbeatSize();
    console.log(`bundled heartbeat function: ${(size / 1024).toFixed(1)} KiB (${size} bytes; target < 500 KB)`);
  } finally {
    await moto.stop();
  }
}

await main();
