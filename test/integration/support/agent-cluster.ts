import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import type { GroupRecord, NodeReport } from "../../../lib/core/controller/records.js";
import type { Timing } from "../../../lib/core/definition/types.js";
import { loadEmbeddedDefinition } from "../../../lib/handlers/embedded-definition.js";
import type { HeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import type { NodeKeys } from "../../support/agent-process.js";
import {
  type HeartbeatGateway,
  heartbeatHandlerOver,
  identitiesOf,
  startHeartbeatGateway,
} from "../../support/heartbeat-gateway.js";
import { useFreshMoto, createStateTable } from "./aws.js";
import { type ControllerLoop, startControllerLoop } from "./agent-controller-loop.js";

/** The nodes, both on-premise (no EC2 step is needed to move a group of commands). */
export const NODES = ["node-a", "node-b"] as const;
export type TestNode = (typeof NODES)[number];
export const GROUP = "app";
/** The group's resources in start order: a chain, each depending on the one before. */
export const CHAIN = ["app-data", "app-server", "app-proxy"] as const;
/** The resource whose check the restart scenario breaks; it is allowed this many local restarts. */
export const RESTARTED = "app-server";
export const RESTART_THRESHOLD = 2;

/**
 * The fastest timing the definition accepts that still leaves the agent slack: heartbeats every 500 ms
 * (the minimum), a 4 s lease, a pass every second (the minimum). Each resource gets 500 ms to stop on
 * its own, 1.5 s for the group, within the 2.25 s the stop budget rule allows (4 s − 250 ms margin −
 * 3 × 500 ms), so the group begins to self-fence 2.25 s after the last acknowledged send: four and a
 * half heartbeats, so a slow moto answer or two on a busy machine fences nothing.
 */
const TIMING = { heartbeatInterval: "500ms", leaseDuration: "4s", controllerTick: "1s" };
const STOP_TIMEOUT = "500ms";

/** The cluster definition: two on-premise nodes, one group of three `command` resources in a chain. */
export function agentClusterDocument(
  keys: Readonly<Record<TestNode, NodeKeys>>,
  fixture: string,
  dir: string,
): Record<string, unknown> {
  const argv = (action: string, resource: string) => [fixture, action, resource, dir];
  return {
    cluster: "agent-it",
    region: "us-east-1",
    timing: TIMING,
    nodes: NODES.map((id, i) => ({ id, kind: "onprem", principal: keys[id].principal, address: `192.0.2.${10 + i}` })),
    groups: [
      {
        id: GROUP,
        preferredOwners: [...NODES],
        // Every scenario moves the group once; the default (nodes − 1 = 1) would leave it failed at the second.
        failover: { threshold: 100, period: "6h" },
        resources: CHAIN.map((id, i) => ({
          id,
          type: "command",
          start: argv("start", id),
          stop: argv("stop", id),
          check: argv("check", id),
          stopTimeout: STOP_TIMEOUT,
          ...(i > 0 ? { dependsOn: [CHAIN[i - 1]] } : {}),
          ...(id === RESTARTED ? { restart: { threshold: RESTART_THRESHOLD, period: "15m" } } : {}),
        })),
      },
    ],
  };
}

/** One request the heartbeat handler answered (after the gateway's authorization). */
export interface HandledHeartbeat {
  readonly nodeId: string;
  readonly seq: number;
  readonly leaving: boolean;
  /** Wall time the handler was called: at most the receipt time it stamps into the table. */
  readonly calledAt: number;
  /** Wall time the handler's answer was ready: the write is in the table by then. */
  readonly answeredAt: number;
  readonly status: number;
  /** True when a test's tamper rewrote the answer. */
  readonly tampered: boolean;
}

/** Rewrites a 200 answer's parsed body (the result is sent as JSON). */
export type Tamper = (answer: Record<string, unknown>) => unknown;

export interface AgentCluster {
  readonly gateway: HeartbeatGateway;
  readonly timing: Timing;
  readonly controller: ControllerLoop;
  /** Every request the handler answered, in order. */
  readonly handled: readonly HandledHeartbeat[];
  /** The handler's next 200 answer to `nodeId` is rewritten by `tamper` (the real write still happens). */
  tamperNext(nodeId: TestNode, tamper: Tamper): void;
  group(): Promise<GroupRecord | undefined>;
  liveness(nodeId: TestNode): Promise<NodeReport | undefined>;
  close(): Promise<void>;
}

/**
 * The cluster in moto: the state table, the topic, the real heartbeat handler behind the heartbeat
 * gateway (SigV4 checked against each node's own key), and the real controller handler making one pass
 * every controllerTick, as the scheduled invocation does.
 */
export async function startAgentCluster(
  keys: Readonly<Record<TestNode, NodeKeys>>,
  document: Record<string, unknown>,
  /** Points the AWS clients at an emptied moto (the bench brings its own moto_server). */
  prepareMoto: () => Promise<unknown> = useFreshMoto,
  /**
   * `firstPassAfter`: the controller's first pass waits for it (e.g. until every agent has joined, so that
   * placement does not depend on which agent process happened to start first on a busy machine).
   */
  { firstPassAfter }: { firstPassAfter?: Promise<unknown> } = {},
): Promise<AgentCluster> {
  await prepareMoto();
  const tableName = "baton-agent-it";
  const dynamo = await createStateTable(tableName);
  const topic = await new SNSClient({}).send(new CreateTopicCommand({ Name: "baton-agent-it" }));
  const definition = loadEmbeddedDefinition(JSON.stringify(document));

  const handled: HandledHeartbeat[] = [];
  const tampers = new Map<string, Tamper[]>();
  const real = heartbeatHandlerOver(tableName, document);
  const handler: HeartbeatHandler = async (event, context) => {
    const calledAt = Date.now();
    const request = parseRequest(event.body);
    const result = await real(event, context);
    const status = result.statusCode ?? 200;
    const tamper = status === 200 ? tampers.get(request.nodeId)?.shift() : undefined;
    handled.push({ ...request, calledAt, answeredAt: Date.now(), status, tampered: tamper !== undefined });
    if (tamper === undefined) return result;
    return { ...result, body: JSON.stringify(tamper(JSON.parse(result.body ?? "{}") as Record<string, unknown>)) };
  };
  const gateway = await startHeartbeatGateway({ handler, identities: identitiesOf(keys) });

  process.env.TABLE_NAME = tableName;
  process.env.TOPIC_ARN = topic.TopicArn;
  process.env.BATON_DEFINITION = JSON.stringify(document);
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  const { handler: controllerHandler } = await import("../../../lambdas/controller.js");
  const controller = startControllerLoop(controllerHandler, definition.timing.controllerTickMs, firstPassAfter);

  const store = new DynamoClusterStateStore(new DynamoDBClient({}), tableName);
  return {
    gateway,
    timing: definition.timing,
    controller,
    handled,
    tamperNext: (nodeId, tamper) => void tampers.set(nodeId, [...(tampers.get(nodeId) ?? []), tamper]),
    group: async () => (await store.readSnapshot()).groups.get(GROUP),
    liveness: async (nodeId) => (await store.readSnapshot()).liveness.get(nodeId),
    async close() {
      await controller.stop();
      await gateway.close();
      dynamo.destroy();
    },
  };
}

function parseRequest(body: string | undefined): Pick<HandledHeartbeat, "nodeId" | "seq" | "leaving"> {
  try {
    const parsed = JSON.parse(body ?? "") as { nodeId?: unknown; seq?: unknown; leaving?: unknown };
    return {
      nodeId: String(parsed.nodeId),
      seq: typeof parsed.seq === "number" ? parsed.seq : -1,
      leaving: parsed.leaving === true,
    };
  } catch {
    return { nodeId: "?", seq: -1, leaving: false };
  }
}
