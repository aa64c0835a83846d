import { setTimeout as sleep } from "node:timers/promises";
import { vi } from "vitest";
import { createEc2Client, createRoute53Client, createSnsClient } from "../../../lib/aws/clients.js";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import { Ec2Adapter } from "../../../lib/aws/ec2.js";
import { Route53Adapter } from "../../../lib/aws/route53.js";
import { SnsNotifier } from "../../../lib/aws/sns-notifier.js";
import type { ControllerDependencies } from "../../../lib/controller/dependencies.js";
import type { ControllerResult } from "../../../lib/handlers/controller.js";
import { loadEmbeddedDefinition } from "../../../lib/handlers/embedded-definition.js";
import { type Controller, invocationContext } from "../../../lib/demo/controller-loop.js";
import { buildClusterWorld, type ClusterWorld, ObedientAgents } from "./cluster-world.js";
import { useFreshMoto } from "./aws.js";
import { worldState } from "./world-state.js";

export { type Controller, invocationContext } from "../../../lib/demo/controller-loop.js";

/** How long `driveUntil` tries, and how often. */
export interface DriveOptions {
  /** @default 20_000 */
  readonly withinMs?: number;
  /** @default 50 */
  readonly everyMs?: number;
}

export interface Harness {
  readonly world: ClusterWorld;
  readonly agents: ObedientAgents;
  readonly controller: Controller;
  /** One controller pass, as `{"passes": 1}`. */
  pass(requestId?: string): Promise<ControllerResult>;
  /** Heartbeats from `beating`, then a pass, every `everyMs`, until `done` holds or `withinMs` runs out. */
  driveUntil(beating: readonly string[], done: () => Promise<boolean>, options?: DriveOptions): Promise<void>;
}

/**
 * Builds the example cluster in moto and loads the real heartbeat and controller handlers over it
 * (their definition, table and topic come from the environment, as in a deployment).
 */
export async function startHarness(
  change: (document: Record<string, unknown>) => void = () => undefined,
): Promise<Harness> {
  await useFreshMoto();
  const world = await buildClusterWorld();
  // Before the handlers load it: a variant of the example (for instance a group that names alarms).
  change(world.document);
  process.env.TABLE_NAME = world.tableName;
  process.env.TOPIC_ARN = world.topicArn;
  process.env.BATON_DEFINITION = JSON.stringify(world.document);
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  // A cold start of both functions, as a deployment of this world's definition would give: a file that builds
  // several worlds gets handlers that read this one's environment, not the first world's.
  vi.resetModules();
  const heartbeat = (await import("../../../lambdas/heartbeat.js")).handler;
  const controller = (await import("../../../lambdas/controller.js")).handler;
  const agents = new ObedientAgents(world, heartbeat);
  let request = 0;
  const pass = (requestId = `it-${++request}`) => controller({ passes: 1 }, invocationContext(requestId));
  return {
    world,
    agents,
    controller,
    pass,
    async driveUntil(beating, done, { withinMs = 20_000, everyMs = 50 } = {}) {
      const deadline = Date.now() + withinMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`condition not reached within ${withinMs} ms`);
        await agents.beat(beating);
        await sleep(everyMs);
        await pass("driver");
      }
    },
  };
}

/** Pass dependencies made of the real adapters over moto, for tests that drive runPass themselves. */
export async function realDependencies(world: ClusterWorld, holder: string): Promise<ControllerDependencies> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    definition: loadEmbeddedDefinition(JSON.stringify(world.document)),
    store: new DynamoClusterStateStore(new DynamoDBClient({}), world.tableName),
    ec2: new Ec2Adapter(createEc2Client()),
    dns: new Route53Adapter(createRoute53Client()),
    notifier: new SnsNotifier(createSnsClient(), world.topicArn),
    clock: { now: () => Date.now() },
    holder,
    logger: quiet,
  };
}

/** Keeps `beating` heartbeating, without controller passes, for `ms`: the others' silence grows meanwhile. */
export async function beatFor(harness: Harness, beating: readonly string[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await harness.agents.beat(beating);
    await sleep(200);
  }
}

/** All groups online where the example's preferences put them with every node up. */
export async function placeAll(harness: Harness, group: (id: string) => Promise<{ status: string } | undefined>) {
  await harness.driveUntil(
    ["db-a", "db-b", "office-1"],
    async () => (await group("postgres"))?.status === "online" && (await group("reports"))?.status === "online",
  );
}

/** The preamble of the controller scenarios: the example cluster in moto, both groups placed. */
export async function startPlacedHarness(): Promise<{ h: Harness; state: ReturnType<typeof worldState> }> {
  const h = await startHarness();
  const state = worldState(h.world);
  await placeAll(h, (id) => state.group(id));
  return { h, state };
}

/** db-a silent: db-b and office-1 heartbeat, a pass every `everyMs`, until postgres is online on db-b. */
export async function driveUntilPostgresOnDbB(
  harness: Harness,
  { withinMs = 30_000, everyMs = 250 }: DriveOptions = {},
): Promise<void> {
  const state = worldState(harness.world);
  await harness.driveUntil(
    ["db-b", "office-1"],
    async () =>
      (await state.group("postgres"))?.status === "online" && (await state.group("postgres"))?.owner === "db-b",
    { withinMs, everyMs },
  );
}

/** Where postgres is now: its owner, epoch and status, db-a's instance state, and where its volume, address and record are. */
export async function postgresWhereabouts(harness: Harness) {
  const state = worldState(harness.world);
  const group = await state.group("postgres");
  return {
    group: { owner: group?.owner, epoch: group?.epoch, status: group?.status },
    dbA: (await state.instance(harness.world.instances["db-a"])).State?.Name,
    volume: await state.volumeAttachments(),
    address: await state.addressInstance(),
    record: await state.recordValue("db.example.com"),
  };
}

/** postgresWhereabouts after one complete failover to db-b: db-a stopped, the volume, address and record on db-b. */
export async function failedOverToDbB(harness: Harness): Promise<Awaited<ReturnType<typeof postgresWhereabouts>>> {
  const dbB = harness.world.instances["db-b"];
  return {
    group: { owner: "db-b", epoch: 2, status: "online" },
    dbA: "stopped",
    volume: [[dbB, "/dev/xvdf"]],
    address: dbB,
    record: (await worldState(harness.world).instance(dbB)).PrivateIpAddress,
  };
}
