import { setTimeout as sleep } from "node:timers/promises";
import type { ControllerResult } from "../../../lib/handlers/controller.js";
import { buildClusterWorld, type ClusterWorld, ObedientAgents } from "./cluster-world.js";
import { useFreshMoto } from "./aws.js";

export type Controller = (event: { passes: number }, context: { awsRequestId: string }) => Promise<ControllerResult>;

export interface Harness {
  readonly world: ClusterWorld;
  readonly agents: ObedientAgents;
  readonly controller: Controller;
  /** One controller pass, as `{"passes": 1}`. */
  pass(requestId?: string): Promise<ControllerResult>;
  /** Heartbeats from `beating`, then a pass, every `everyMs`, until `done` holds or `withinMs` runs out. */
  driveUntil(
    beating: readonly string[],
    done: () => Promise<boolean>,
    withinMs?: number,
    everyMs?: number,
  ): Promise<void>;
}

/**
 * Builds the example cluster in moto and loads the real heartbeat and controller handlers over it
 * (their definition, table and topic come from the environment, as in a deployment).
 */
export async function startHarness(): Promise<Harness> {
  await useFreshMoto();
  const world = await buildClusterWorld();
  process.env.TABLE_NAME = world.tableName;
  process.env.TOPIC_ARN = world.topicArn;
  process.env.BATON_DEFINITION = JSON.stringify(world.document);
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  const heartbeat = (await import("../../../lambdas/heartbeat.js")).handler;
  const controller = (await import("../../../lambdas/controller.js")).handler as Controller;
  const agents = new ObedientAgents(world, heartbeat);
  let request = 0;
  const pass = (requestId = `it-${++request}`) => controller({ passes: 1 }, { awsRequestId: requestId });
  return {
    world,
    agents,
    controller,
    pass,
    async driveUntil(beating, done, withinMs = 20_000, everyMs = 50) {
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
