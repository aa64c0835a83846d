// npm run bench:cost — what a Baton cluster costs a month, by list prices (bench/prices.ts), from measurements.
//
// Settings come from a synth of the example (test/infra/synth.ts): both functions' memory, tracing and timeout, the
// controller's schedule, the heartbeat endpoint's kind, the access log format, alarms and KMS keys. Request counts,
// item sizes, durations and log bytes are measured against moto_server with the real handlers, stores and SDK:
// heartbeats from agents that obey each answer, and the controller's scheduled invocations on a simulated clock
// (its sleeps advance the clock; the billed time is its measured work plus the time it slept), while the nodes go
// on heartbeating. Nothing measured is typed in here; only prices are. The heartbeat's billed time is its wait plus
// its CPU time slowed to the share of a vCPU its memory gets (bench/lambda-memory.ts).
import { randomUUID } from "node:crypto";
import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { Template } from "aws-cdk-lib/assertions";
import { DynamoClusterStateStore } from "../lib/aws/cluster-store.js";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../lib/aws/heartbeat-store.js";
import { STATE_PARTITION } from "../lib/aws/table-layout.js";
import { indexCluster } from "../lib/core/cluster-index.js";
import type { ClusterDefinition } from "../lib/core/definition/types.js";
import type { HeartbeatAnswer } from "../lib/core/heartbeat/answer.js";
import type { HeartbeatStore } from "../lib/core/heartbeat/store.js";
import { createControllerHandler } from "../lib/handlers/controller.js";
import { createHeartbeatHandler } from "../lib/handlers/heartbeat.js";
import { ACCOUNT, CALLERS, heartbeatEvent, LAMBDA_CONTEXT } from "../test/support/heartbeat-events.js";
import { callerOf, onlineRecord, reportAfter } from "./bench-cluster.js";
import { exampleDefinition } from "../test/support/example-cluster.js";
import { motoEnvironment, startMotoServer } from "../test/support/moto-server.js";
import { createStateTableIn } from "../test/support/state-table.js";
import { lambdaFunction, removeCloudAssemblies, synthesize } from "../test/infra/synth.js";
import { itemSize } from "./item-size.js";
import { startKeepAliveProxy } from "./keep-alive-proxy.js";
import { atMemory } from "./lambda-memory.js";
import { syntheticCluster } from "./synthetic-cluster.js";
import {
  DYNAMO_READ_UNIT_BYTES,
  DYNAMO_WRITE_UNIT_BYTES,
  type Price,
  PRICES,
  SECONDS_PER_MONTH,
  XRAY_FIXED_RATE,
  XRAY_RESERVOIR_PER_SECOND,
} from "./prices.js";

const SIZES = [3, 10, 100] as const;
const INTERVALS_S = [1, 2, 5] as const;
/** Heartbeats measured per size (after one round of warm-up). */
const HEARTBEATS = Number(process.env.BENCH_COST_HEARTBEATS ?? 300);
/** Scheduled controller invocations measured per size (after one of warm-up). */
const INVOCATIONS = Number(process.env.BENCH_COST_INVOCATIONS ?? 2);
/** What Powertools' Logger adds to each JSON line (level, timestamp, service, function name, ARN, request id...). */
const LOG_ENVELOPE_BYTES = 350;

// ---- the synthesized template's settings -------------------------------------------------------------------------

interface Settings {
  readonly controllerMemoryMb: number;
  readonly controllerTimeoutS: number;
  readonly controllerTracing: boolean;
  readonly heartbeatMemoryMb: number;
  readonly heartbeatTracing: boolean;
  readonly scheduleS: number;
  readonly endpoint: "http-api" | "function-url";
  readonly accessLogLineBytes: number;
  readonly alarms: number;
  readonly kmsKeys: number;
  /** Both functions publish every metric (`BATON_METRICS=detailed`), or only what the default alarms watch. */
  readonly detailedMetrics: boolean;
}

function settingsOf(template: Template): Settings {
  const controller = lambdaFunction(template, "baton-controller").resource.Properties!;
  const heartbeat = lambdaFunction(template, "baton-heartbeat").resource.Properties!;
  const rules = Object.values(template.findResources("AWS::Events::Rule"));
  const rate = rules
    .map((r) => String((r.Properties as { ScheduleExpression?: string }).ScheduleExpression ?? ""))
    .map((e) => /^rate\((\d+) (minute|minutes|second|seconds|hour|hours)\)$/.exec(e))
    .find((m) => m !== null);
  if (!rate) throw new Error("no rate(...) schedule in the template");
  const unit = rate[2]!.startsWith("hour") ? 3600 : rate[2]!.startsWith("minute") ? 60 : 1;
  const httpApis = Object.keys(template.findResources("AWS::ApiGatewayV2::Api")).length;
  const urls = Object.keys(template.findResources("AWS::Lambda::Url")).length;
  const stages = Object.values(template.findResources("AWS::ApiGatewayV2::Stage"));
  const format = (stages[0]?.Properties as { AccessLogSettings?: { Format?: string } } | undefined)?.AccessLogSettings
    ?.Format;
  return {
    controllerMemoryMb: Number(controller.MemorySize),
    controllerTimeoutS: Number(controller.Timeout),
    controllerTracing: (controller.TracingConfig as { Mode?: string } | undefined)?.Mode === "Active",
    heartbeatMemoryMb: Number(heartbeat.MemorySize),
    heartbeatTracing: (heartbeat.TracingConfig as { Mode?: string } | undefined)?.Mode === "Active",
    scheduleS: Number(rate[1]) * unit,
    endpoint: urls > 0 ? "function-url" : httpApis > 0 ? "http-api" : "function-url",
    accessLogLineBytes: format === undefined ? 0 : Buffer.byteLength(renderAccessLog(format)),
    alarms: Object.keys(template.findResources("AWS::CloudWatch::Alarm")).length,
    kmsKeys: Object.keys(template.findResources("AWS::KMS::Key")).length,
    detailedMetrics:
      (controller.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.BATON_METRICS ===
      "detailed",
  };
}

/** The access log format with the values one heartbeat's request gives its variables. */
function renderAccessLog(format: string): string {
  const sample: Record<string, string> = {
    requestId: "Q0k2ZgXgIAMEV5g=",
    requestTime: "30/Nov/2026:19:00:00 +0000",
    routeKey: "POST /v1/heartbeat",
    status: "200",
    responseLength: "1234",
    responseLatency: "14",
    sourceIp: "203.0.113.10",
    userAgent: "baton-agent/0.1.0",
    caller: "AROA3XFRBF23EXAMPLE1:i-0a1b2c3d4e5f60001",
    userArn: CALLERS["db-a"],
    accountId: ACCOUNT,
    error: "-",
    authorizerError: "-",
    integrationError: "-",
    integrationLatency: "12",
  };
  return `${format.replace(/\$context\.([\w.]+)/g, (_, name: string) => sample[name.split(".").at(-1)!] ?? "-")}\n`;
}

// ---- definitions -------------------------------------------------------------------------------------------------

// ---- measurements --------------------------------------------------------------------------------------------------

interface Measured {
  readonly nodes: number;
  /** Per heartbeat: DynamoDB requests by operation, the handler's duration (p50, ms), log bytes, answer bytes. */
  readonly heartbeat: {
    readonly requests: Record<string, number>;
    readonly durationMsP50: number;
    /** This process's CPU time per heartbeat (p50, ms), on a full core: Lambda's share is smaller (lambda-memory.ts). */
    readonly cpuMsP50: number;
    readonly writeUnits: number;
    readonly readUnits: number;
    readonly logBytes: number;
    readonly answerBytes: number;
    /** Controller wake-ups per heartbeat in a healthy cluster (each one an invocation). */
    readonly wakeUps: number;
  };
  readonly items: { readonly nodeBytes: number; readonly groupBytes: number; readonly partitionBytes: number };
  /** Per scheduled invocation. */
  readonly controller: {
    readonly billedMs: number;
    readonly passes: number;
    readonly requests: Record<string, number>;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly logBytes: number;
    readonly metrics: number;
  };
}

class RequestCounter {
  counts: Record<string, number> = {};
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const name = String(context.commandName).replace("Command", "");
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: "initialize", name: "costBenchCounter" },
    );
  }
  take(): Record<string, number> {
    const counts = this.counts;
    this.counts = {};
    return counts;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const per = (counts: Record<string, number>, n: number) =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));

async function measure(
  client: DynamoDBClient,
  counter: RequestCounter,
  definition: ClusterDefinition,
  settings: Settings,
): Promise<Measured> {
  const table = `cost-${definition.nodes.length}-${randomUUID().slice(0, 8)}`;
  await createStateTableIn(client, table);
  const index = indexCluster(definition);
  const interval = definition.timing.heartbeatIntervalMs;
  const base = Date.UTC(2026, 10, 30, 12, 0, 0);
  let now = base;
  const clock = { now: () => now };
  const clusterStore = new DynamoClusterStateStore(client, table);
  for (const group of definition.groups) await clusterStore.writeGroup(onlineRecord(group, now), 0);

  let logBytes = 0;
  const countLog = (message: string, attributes: Record<string, unknown>) => {
    logBytes += LOG_ENVELOPE_BYTES + Buffer.byteLength(JSON.stringify({ message, ...attributes }));
  };
  let metricNames = new Set<string>();
  const metrics = {
    addMetric: (name: string) => void metricNames.add(name),
    publishStoredMetrics: () => undefined,
    // The per-node gauge: one metric per node (its dimension), published at once.
    singleMetric: () => {
      let node = "";
      return {
        addDimension: (_name: string, value: string) => void (node = value),
        addMetric: (name: string) => void metricNames.add(`${name}/${node}`),
      };
    },
  };

  // Which groups each heartbeat's owners' read asks for (read units: one per item up to 4 KB, strongly consistent).
  let groupsRead = 0;
  let peersRead = 0;
  let wakeUps = 0;
  const inner = new DynamoHeartbeatStore(client, table);
  const store: HeartbeatStore = {
    recordHeartbeat: (h, at, lease) => inner.recordHeartbeat(h, at, lease),
    readOwnership: (ids) => {
      groupsRead += ids.length;
      return inner.readOwnership(ids);
    },
  };
  const handler = createHeartbeatHandler({
    index,
    store,
    clock,
    detailedMetrics: settings.detailedMetrics,
    // Debug lines are dropped at the functions' INFO level; warnings and errors are written.
    logger: { debug: () => undefined, warn: countLog, error: countLog },
    metrics,
    // Wired as lambdas/heartbeat.ts wires it: the watched peers' read and the wake-up's claim go to the table.
    wake: {
      store: {
        readPeers: (ids) => {
          peersRead += ids.length;
          return inner.readPeers(ids);
        },
        claimWake: (at, windowMs, reason) => inner.claimWake(at, windowMs, reason),
      },
      invoke: () => {
        wakeUps++;
        return Promise.resolve();
      },
    },
  });

  // Agents that do at once what each answer says, reporting their resources and the epochs they obey.
  interface AgentState {
    bootId: string;
    seq: number;
    resources: Record<string, string>;
    epochs: Record<string, number>;
  }
  const agents = new Map<string, AgentState>(
    definition.nodes.map((n) => [n.id, { bootId: randomUUID(), seq: 0, resources: {}, epochs: {} }]),
  );
  const durations: number[] = [];
  const cpuTimes: number[] = [];
  let answerBytes = 0;
  const heartbeatRound = async (measured: boolean): Promise<void> => {
    for (const node of definition.nodes) {
      const agent = agents.get(node.id)!;
      agent.seq++;
      const body = {
        nodeId: node.id,
        bootId: agent.bootId,
        seq: agent.seq,
        resources: agent.resources,
        epochs: agent.epochs,
      };
      const cpu = process.cpuUsage();
      const start = performance.now();
      const response = await handler(heartbeatEvent(body, callerOf(definition, node.id)), LAMBDA_CONTEXT);
      const took = performance.now() - start;
      const used = process.cpuUsage(cpu);
      if (response.statusCode !== 200) throw new Error(`heartbeat answered ${response.statusCode}: ${response.body}`);
      const answer = JSON.parse(String(response.body)) as HeartbeatAnswer;
      Object.assign(agent, reportAfter(answer, node.id));
      if (measured) {
        durations.push(took);
        cpuTimes.push((used.user + used.system) / 1000);
        answerBytes += Buffer.byteLength(String(response.body));
      }
    }
  };
  /** Moves the clock to `until`, the nodes heartbeating often enough to stay up (every half lease: fewer requests). */
  const keepAliveUntil = async (until: number): Promise<void> => {
    const step = Math.max(interval, definition.timing.leaseDurationMs / 2);
    while (now + step <= until) {
      now += step;
      await heartbeatRound(false);
    }
    now = until;
  };

  // Heartbeats.
  await heartbeatRound(false);
  counter.take();
  logBytes = 0;
  groupsRead = 0;
  peersRead = 0;
  wakeUps = 0;
  const rounds = Math.max(1, Math.ceil(HEARTBEATS / definition.nodes.length));
  for (let r = 0; r < rounds; r++) {
    now += interval;
    await heartbeatRound(true);
  }
  const beats = rounds * definition.nodes.length;
  const heartbeatRequests = per(counter.take(), beats);
  const heartbeatLog = logBytes / beats;
  const groupsPerBeat = groupsRead / beats;
  const peersPerBeat = peersRead / beats;
  const wakeUpsPerBeat = wakeUps / beats;

  // Item sizes, as stored.
  const items = await stateItems(client, table);
  const sizes = items.map((item) => ({ sk: item.sk?.S ?? "", size: itemSize(item) }));
  const nodeSizes = sizes.filter((s) => s.sk.startsWith("node#")).map((s) => s.size);
  const groupSizes = sizes.filter((s) => s.sk.startsWith("group#")).map((s) => s.size);
  const partitionBytes = sizes.reduce((sum, s) => sum + s.size, 0);
  const avg = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const writeUnits = avg(nodeSizes.map((s) => Math.ceil(s / DYNAMO_WRITE_UNIT_BYTES)));
  // The watched peers' read is eventually consistent: half a unit per item up to 4 KB.
  const readUnits =
    groupsPerBeat * avg(groupSizes.map((s) => Math.ceil(s / DYNAMO_READ_UNIT_BYTES))) +
    peersPerBeat * 0.5 * avg(nodeSizes.map((s) => Math.ceil(s / DYNAMO_READ_UNIT_BYTES)));

  // Scheduled controller invocations: the nodes keep heartbeating while it sleeps between passes. Their requests,
  // time and logs are set aside: they are the heartbeat function's.
  const unexpected = () => Promise.reject(new Error("the cost bench's cluster is healthy: nothing should move"));
  let slept = 0;
  let asideMs = 0;
  const sleepWithHeartbeats = async (ms: number): Promise<void> => {
    slept += ms;
    const ownCounts = counter.take();
    const ownLog = logBytes;
    const start = performance.now();
    await keepAliveUntil(now + ms);
    asideMs += performance.now() - start;
    counter.take();
    counter.counts = ownCounts;
    logBytes = ownLog;
  };
  const controller = createControllerHandler({
    passDependencies: (holder) => ({
      definition,
      store: clusterStore,
      ec2: {
        describeInstance: unexpected,
        stopInstance: unexpected,
        describeVolume: unexpected,
        detachVolume: unexpected,
        attachVolume: unexpected,
        describeAddress: unexpected,
        associateAddress: unexpected,
      },
      dns: { getARecord: unexpected, upsertARecord: unexpected, changeStatus: unexpected },
      notifier: { publish: unexpected },
      clock,
      holder,
      logger: { info: countLog, warn: countLog, error: countLog },
    }),
    metrics,
    // As the template sets it (by default only the gauges the alarms watch); events go nowhere on a quiet cluster.
    detailedMetrics: settings.detailedMetrics,
    eventBus: { publish: () => Promise.resolve() },
    sleep: sleepWithHeartbeats,
  });
  const invoke = async (): Promise<{ passes: number; billedMs: number }> => {
    slept = 0;
    asideMs = 0;
    const started = now;
    const start = performance.now();
    const result = await controller(
      { "detail-type": "Scheduled Event", source: "aws.events", time: new Date(now).toISOString() },
      {
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => settings.controllerTimeoutS * 1000 - (now - started),
      },
    );
    if (!("passes" in result)) throw new Error(`controller invocation: ${JSON.stringify(result)}`);
    return { passes: result.passes, billedMs: Math.ceil(performance.now() - start - asideMs + slept) };
  };
  const nextSchedule = async () => {
    // The nodes heartbeat up to the next scheduled invocation.
    const next = (Math.floor((now - base) / (settings.scheduleS * 1000)) + 1) * settings.scheduleS * 1000 + base;
    await keepAliveUntil(next);
    counter.take();
  };
  await nextSchedule();
  await invoke(); // warm-up: the guard's first write
  logBytes = 0;
  metricNames = new Set();
  const billed: number[] = [];
  let passes = 0;
  const controllerCounts: Record<string, number> = {};
  for (let i = 0; i < INVOCATIONS; i++) {
    await nextSchedule();
    const { passes: made, billedMs } = await invoke();
    billed.push(billedMs);
    passes += made;
    for (const [k, v] of Object.entries(counter.take())) controllerCounts[k] = (controllerCounts[k] ?? 0) + v;
  }
  const queries = (controllerCounts.Query ?? 0) / INVOCATIONS;
  const controllerWrites =
    ((controllerCounts.PutItem ?? 0) + (controllerCounts.UpdateItem ?? 0) + (controllerCounts.DeleteItem ?? 0)) /
    INVOCATIONS;
  const measured: Measured = {
    nodes: definition.nodes.length,
    heartbeat: {
      requests: heartbeatRequests,
      durationMsP50: median(durations),
      cpuMsP50: median(cpuTimes),
      writeUnits,
      readUnits,
      logBytes: heartbeatLog,
      answerBytes: answerBytes / beats,
      wakeUps: wakeUpsPerBeat,
    },
    items: { nodeBytes: avg(nodeSizes), groupBytes: avg(groupSizes), partitionBytes },
    controller: {
      billedMs: median(billed),
      passes: passes / INVOCATIONS,
      requests: per(controllerCounts, INVOCATIONS),
      // A Query is billed on the items it reads, summed, in 4 KB units (strongly consistent).
      readUnits: queries * Math.ceil(partitionBytes / DYNAMO_READ_UNIT_BYTES),
      writeUnits: controllerWrites,
      logBytes: logBytes / INVOCATIONS,
      metrics: metricNames.size,
    },
  };
  return measured;
}

async function stateItems(client: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: STATE_PARTITION } },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

// ---- the monthly estimate ------------------------------------------------------------------------------------------

interface Line {
  readonly item: string;
  readonly usd: number;
  readonly how: string;
}

const gbSeconds = (ms: number, memoryMb: number) => (ms / 1000) * (memoryMb / 1024);
const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;

/** X-Ray traces a second from requests at `rate` a second, by Lambda's fixed sampling. */
function tracesPerSecond(rate: number): number {
  return Math.min(rate, XRAY_RESERVOIR_PER_SECOND) + XRAY_FIXED_RATE * Math.max(0, rate - XRAY_RESERVOIR_PER_SECOND);
}

function estimate(s: Settings, m: Measured, intervalS: number): Line[] {
  const heartbeats = (m.nodes * SECONDS_PER_MONTH) / intervalS;
  const invocations =
    SECONDS_PER_MONTH / s.scheduleS + ((m.nodes * SECONDS_PER_MONTH) / intervalS) * m.heartbeat.wakeUps;
  const hbBilledMs = atMemory(
    { wallMs: m.heartbeat.durationMsP50, cpuMs: m.heartbeat.cpuMsP50 },
    s.heartbeatMemoryMb,
  ).billedMs;
  const endpointPrice: Price = s.endpoint === "http-api" ? PRICES.httpApiRequest : PRICES.functionUrlRequest;
  const hbGbS = heartbeats * gbSeconds(hbBilledMs, s.heartbeatMemoryMb);
  const ctrlGbS = invocations * gbSeconds(m.controller.billedMs, s.controllerMemoryMb);
  const wru = heartbeats * m.heartbeat.writeUnits + invocations * m.controller.writeUnits;
  const rru = heartbeats * m.heartbeat.readUnits + invocations * m.controller.readUnits;
  const logGb =
    (heartbeats * (m.heartbeat.logBytes + (s.endpoint === "http-api" ? s.accessLogLineBytes : 0)) +
      invocations * m.controller.logBytes) /
    1e9;
  const traces =
    (s.heartbeatTracing ? tracesPerSecond(m.nodes / intervalS) * SECONDS_PER_MONTH : 0) +
    (s.controllerTracing ? invocations : 0);
  return [
    {
      item: "controller",
      usd: invocations * PRICES.lambdaRequest.usd + ctrlGbS * PRICES.lambdaArmGbSecond.usd,
      how: `${invocations.toFixed(0)} invocations x ${m.controller.billedMs} ms (${m.controller.passes.toFixed(1)} passes) at ${s.controllerMemoryMb} MB = ${ctrlGbS.toFixed(0)} GB-s`,
    },
    {
      item: `heartbeat endpoint (${s.endpoint})`,
      usd: heartbeats * endpointPrice.usd,
      how: `${millions(heartbeats)} requests`,
    },
    {
      item: "heartbeat function",
      usd: heartbeats * PRICES.lambdaRequest.usd + hbGbS * PRICES.lambdaArmGbSecond.usd,
      how: `${millions(heartbeats)} x ${hbBilledMs} ms at ${s.heartbeatMemoryMb} MB (CPU at its share) = ${hbGbS.toFixed(0)} GB-s`,
    },
    {
      item: "DynamoDB writes",
      usd: wru * PRICES.dynamoWriteUnit.usd,
      how: `${millions(wru)} WRU (node item ${m.items.nodeBytes.toFixed(0)} B: ${m.heartbeat.writeUnits.toFixed(2)} WRU per heartbeat)`,
    },
    {
      item: "DynamoDB reads",
      usd: rru * PRICES.dynamoReadUnit.usd,
      how: `${millions(rru)} RRU (${m.heartbeat.readUnits.toFixed(2)} per heartbeat; ${m.controller.readUnits.toFixed(1)} per invocation, partition ${m.items.partitionBytes} B)`,
    },
    { item: "KMS", usd: s.kmsKeys * PRICES.kmsKeyMonth.usd, how: `${s.kmsKeys} key(s)` },
    {
      item: "logs and metrics",
      usd: logGb * PRICES.logsIngestGb.usd + m.controller.metrics * PRICES.customMetricMonth.usd,
      how: `${(logGb * 1000).toFixed(1)} MB of logs; ${m.controller.metrics} custom metrics on an idle day`,
    },
    {
      item: "tracing (X-Ray)",
      usd: traces * PRICES.xrayTrace.usd,
      how: `${millions(traces)} traces (heartbeat ${s.heartbeatTracing ? "active" : "off"}, controller ${s.controllerTracing ? "active" : "off"})`,
    },
    { item: "alarms", usd: s.alarms * PRICES.alarmMonth.usd, how: `${s.alarms} alarm(s)` },
  ];
}

async function main(): Promise<void> {
  const synthesized = synthesize(undefined, { bundle: false });
  const settings = settingsOf(synthesized.template);
  removeCloudAssemblies();
  const moto = await startMotoServer();
  // The SDK's connection kept alive, as in Lambda: moto closes each one (bench/keep-alive-proxy.ts).
  const proxy = await startKeepAliveProxy(moto.endpoint);
  try {
    Object.assign(process.env, motoEnvironment(proxy.endpoint));
    const client = createDynamoDbClient({ requestTimeoutMs: 30_000 });
    const counter = new RequestCounter();
    counter.attach(client);
    console.log(
      `Template (example, synthesized): controller ${settings.controllerMemoryMb} MB every ${settings.scheduleS} s` +
        ` (timeout ${settings.controllerTimeoutS} s), heartbeat ${settings.heartbeatMemoryMb} MB, endpoint ${settings.endpoint}` +
        `, access log line ${settings.accessLogLineBytes} B, ${settings.alarms} alarms, ${settings.kmsKeys} KMS keys` +
        `, metrics ${settings.detailedMetrics ? "detailed" : "for the alarms"}`,
    );
    const results: Measured[] = [];
    for (const size of SIZES) {
      const definition = size === 3 ? exampleDefinition() : syntheticCluster(size);
      const m = await measure(client, counter, definition, settings);
      results.push(m);
      const requests = (r: Record<string, number>) =>
        Object.entries(r)
          .map(([k, v]) => `${v.toFixed(2)} ${k}`)
          .join(" + ") || "none";
      console.log(
        `measured, ${size} nodes: heartbeat ${m.heartbeat.durationMsP50.toFixed(2)} ms p50 (${m.heartbeat.cpuMsP50.toFixed(2)} ms CPU), ${requests(m.heartbeat.requests)}` +
          `, answer ${m.heartbeat.answerBytes.toFixed(0)} B, wake-ups ${m.heartbeat.wakeUps}/heartbeat; node item ${m.items.nodeBytes.toFixed(0)} B, group item ${m.items.groupBytes.toFixed(0)} B` +
          `; controller invocation ${m.controller.billedMs} ms billed, ${m.controller.passes.toFixed(1)} passes, ${requests(m.controller.requests)}`,
      );
    }
    for (const m of results) {
      for (const intervalS of INTERVALS_S) {
        const lines = estimate(settings, m, intervalS);
        const total = lines.reduce((sum, l) => sum + l.usd, 0);
        console.log(`\ncost: ${m.nodes} nodes at ${intervalS}s: $${total.toFixed(2)}/month`);
        for (const l of lines) console.log(`  ${l.item.padEnd(32)} $${l.usd.toFixed(2).padStart(7)}  ${l.how}`);
      }
    }
    const three = results.find((m) => m.nodes === 3)!;
    const hundred = results.find((m) => m.nodes === 100)!;
    const total = (m: Measured, i: number) => estimate(settings, m, i).reduce((sum, l) => sum + l.usd, 0);
    const perNode = (total(hundred, 2) - total(three, 2)) / 97;
    console.log(`\neach further node at 2s: $${perNode.toFixed(2)}/month (from 3 to 100 nodes)`);
    const nano = 730 * PRICES.t4gNanoHour.usd + 8 * PRICES.gp3GbMonth.usd;
    console.log(
      `for comparison: a Route 53 health check $${PRICES.route53HealthCheck.usd.toFixed(2)}/month per endpoint; ` +
        `a t4g.nano quorum device $${nano.toFixed(2)}/month`,
    );
    console.log("\nPrices (us-east-1, list, no free tier):");
    for (const p of Object.values(PRICES)) console.log(`  $${p.usd} per ${p.per}: ${p.source}`);
  } finally {
    proxy.stop();
    await moto.stop();
  }
}

await main();
