import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createEc2Client, createRoute53Client } from "../aws/clients.js";
import { DynamoClusterStateStore } from "../aws/cluster-store.js";
import { createDynamoDbClient } from "../aws/dynamodb-client.js";
import { Ec2Adapter } from "../aws/ec2.js";
import { DynamoHeartbeatStore } from "../aws/heartbeat-store.js";
import { Route53Adapter } from "../aws/route53.js";
import { indexCluster } from "../core/cluster-index.js";
import type { ClusterSnapshot } from "../core/controller/records.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import { createControllerHandler } from "../handlers/controller.js";
import { createHeartbeatHandler } from "../handlers/heartbeat.js";
import { ACCOUNT } from "./account.js";
import { type AgentProcess, buildAgentBundle, type NodeKeys, onPremNodeKeys, spawnAgent } from "./agent-process.js";
import { type ControllerLoop, startControllerLoop } from "./controller-loop.js";
import { demoDefinition, ec2NodesOf } from "./demo-definition.js";
import { type DemoEvent, EventList } from "./event-list.js";
import { type HeartbeatGateway, identitiesOf, startHeartbeatGateway } from "./heartbeat-gateway.js";
import { type LocalAws, startLocalAws } from "./local-aws.js";
import { writeServiceProgram } from "./service-script.js";
import { alive, signal } from "./signals.js";

/** What the demo did to a node, by the keyboard or the script. */
export type NodeCondition = "up" | "killed" | "paused" | "cut off";

export interface DemoClusterOptions {
  /** The definition file (examples/demo.yaml). */
  readonly definitionPath: string;
  /** Use moto_server for EC2 and Route 53 (it must be on the PATH); else DynamoDB alone (dynalite). */
  readonly moto: boolean;
  /** The run's directory: agent bundle, configurations, the services' state and record. */
  readonly dir: string;
}

const quiet = () => undefined;
const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const quietMetrics = {
  addMetric: quiet,
  publishStoredMetrics: quiet,
  singleMetric: () => ({ addDimension: quiet, addMetric: quiet }),
};

/**
 * A Baton cluster on loopback: the real heartbeat function (lib/handlers/heartbeat.ts over the state table)
 * behind a gateway that checks each request's SigV4 signature as API Gateway's IAM authorization does, the
 * real controller function making a pass every controllerTick, and one real `baton-agent` process (the
 * release bundle) per node, each with its own credentials. DynamoDB is dynalite, in this process; EC2 and
 * Route 53 are moto_server's when `moto` is set.
 */
export class DemoCluster {
  private readonly list = new EventList();
  readonly agents = new Map<string, AgentProcess>();
  readonly conditions = new Map<string, NodeCondition>();
  snapshot: ClusterSnapshot | undefined;
  snapshotAt = 0;
  private watching: Promise<void> | undefined;
  private stopped = false;
  /** The controller on its tick: started once every agent has joined, so the first placement sees every node. */
  controller!: ControllerLoop;

  private constructor(
    readonly options: DemoClusterOptions,
    readonly aws: LocalAws,
    readonly definition: ClusterDefinition,
    readonly ports: ReadonlyMap<string, number>,
    readonly keys: Readonly<Record<string, NodeKeys>>,
    readonly gateway: HeartbeatGateway,
    private readonly store: DynamoClusterStateStore,
    private readonly bundle: string,
  ) {}

  static async start(options: DemoClusterOptions): Promise<DemoCluster> {
    const { dir } = options;
    mkdirSync(join(dir, "nodes"), { recursive: true });
    const ec2Nodes = ec2NodesOf(options.definitionPath);
    const aws = await startLocalAws(options.moto ? { ec2Nodes } : {});
    let gateway: HeartbeatGateway | undefined;
    try {
      const program = writeServiceProgram(join(dir, "service.mjs"));
      const { definition, ports } = await demoDefinition(options.definitionPath, program, aws.moto);
      const keys: Record<string, NodeKeys> = onPremNodeKeys(
        definition.nodes.filter((n) => n.kind === "onprem").map((n) => n.id),
      );
      for (const node of definition.nodes) {
        if (node.kind !== "ec2") continue;
        const tag = node.id.toUpperCase().replace(/[^A-Z0-9]/g, "");
        keys[node.id] = {
          accessKeyId: `AKIDAGENT${tag}`,
          secretAccessKey: `secret-of-${node.id}`,
          // A session of the instance role named after the instance id, as EC2 gives it.
          userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node/${node.instanceId}`,
          principal: node.principal,
        };
      }
      const bundle = await buildAgentBundle(join(dir, "baton-agent.mjs"));
      const heartbeat = createHeartbeatHandler({
        index: indexCluster(definition),
        store: new DynamoHeartbeatStore(createDynamoDbClient(), aws.tableName),
        clock: { now: () => Date.now() },
        logger: quietLogger,
        metrics: quietMetrics,
      });
      gateway = await startHeartbeatGateway({ handler: heartbeat, identities: identitiesOf(keys) });
      const store = new DynamoClusterStateStore(createDynamoDbClient(), aws.tableName);
      const ec2 = new Ec2Adapter(createEc2Client());
      const dns = new Route53Adapter(createRoute53Client());
      const sink: { cluster?: DemoCluster } = {};
      const controllerHandler = createControllerHandler({
        passDependencies: (holder) => ({
          definition,
          store,
          ec2,
          dns,
          // The notifications a deployment sends through SNS, shown in the event list.
          notifier: {
            publish: (subject: string) => {
              sink.cluster?.note(`notification: ${subject}`, "controller");
              return Promise.resolve();
            },
          },
          clock: { now: () => Date.now() },
          holder,
          logger: quietLogger,
        }),
        metrics: quietMetrics,
        detailedMetrics: false,
        eventBus: { publish: () => Promise.resolve() },
        sleep: (ms) => sleep(ms),
      });
      const cluster = new DemoCluster(options, aws, definition, ports, keys, gateway, store, bundle);
      sink.cluster = cluster;
      const agents = definition.nodes.map((node) => cluster.startAgent(node.id));
      try {
        await Promise.all(
          agents.map((a) => a.waitForLine((l) => l.message.startsWith("joined cluster"), { timeoutMs: 30_000 })),
        );
      } catch (error) {
        for (const agent of agents) await agent.kill();
        throw error;
      }
      cluster.controller = startControllerLoop(controllerHandler, definition.timing.controllerTickMs);
      cluster.watching = cluster.watch();
      return cluster;
    } catch (error) {
      await gateway?.close();
      await aws.close();
      throw error;
    }
  }

  get nodeIds(): string[] {
    return this.definition.nodes.map((n) => n.id);
  }

  /** What happened, one line each (lib/demo/event-list.ts). */
  get events(): readonly DemoEvent[] {
    return this.list.events;
  }

  note(text: string, source = "demo"): void {
    this.list.note(text, source);
  }

  startAgent(nodeId: string): AgentProcess {
    const agent = spawnAgent({
      bundle: this.bundle,
      nodeId,
      heartbeatUrl: this.gateway.url,
      keys: this.keys[nodeId]!,
      dir: this.options.dir,
      // Inherited by the service programs the agent runs.
      env: { BATON_DEMO_NODE: nodeId, BATON_DEMO_DIR: this.options.dir },
    });
    this.agents.set(nodeId, agent);
    this.conditions.set(nodeId, "up");
    return agent;
  }

  /** The node's service processes (their pid files), running or not. */
  private servicePids(nodeId: string): number[] {
    const state = join(this.options.dir, "nodes", nodeId);
    if (!existsSync(state)) return [];
    return readdirSync(state)
      .filter((f) => f.endsWith(".pid"))
      .map((f) => Number(readFileSync(join(state, f), "utf8")))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  }

  /**
   * The machine dies: SIGKILL to its agent and to every service it runs, nothing stopped cleanly, nothing
   * said to the cluster. What ran there is recorded as stopped once it is dead; the node's run state is gone
   * (as /run is after a reboot).
   */
  async kill(nodeId: string): Promise<void> {
    const agent = this.agents.get(nodeId);
    const pids = this.servicePids(nodeId);
    for (const pid of pids) signal(pid, "SIGKILL");
    await agent?.kill();
    for (const pid of pids) while (alive(pid)) await sleep(10);
    const state = join(this.options.dir, "nodes", nodeId);
    const running = existsSync(state)
      ? readdirSync(state)
          .filter((f) => f.endsWith(".running") || f.endsWith(".pid"))
          .map((f) => f.replace(/\.(running|pid)$/, ""))
      : [];
    const at = Date.now();
    for (const resource of running)
      appendFileSync(join(this.options.dir, "record"), `${at} ${nodeId} ${resource} stop\n`);
    rmSync(state, { recursive: true, force: true });
    this.conditions.set(nodeId, "killed");
    this.note(
      `${nodeId} killed: SIGKILL to its agent (pid ${agent?.pid ?? "?"})` +
        (pids.length > 0 ? ` and its services (pids ${pids.join(", ")})` : ""),
    );
  }

  /** The machine freezes (SIGSTOP to its agent and services), as a VM paused by its host. */
  pause(nodeId: string): void {
    for (const pid of [this.agents.get(nodeId)?.pid, ...this.servicePids(nodeId)]) if (pid) signal(pid, "SIGSTOP");
    this.conditions.set(nodeId, "paused");
    this.note(`${nodeId} paused: SIGSTOP to its agent and services`);
  }

  /** Its heartbeats get no answer (dropped at the gateway), as a cut network link. */
  cutOff(nodeId: string): void {
    this.gateway.block(this.keys[nodeId]!.accessKeyId, "blackhole");
    this.conditions.set(nodeId, "cut off");
    this.note(`${nodeId} cut off: its heartbeats are dropped on the way`);
  }

  /** Undoes kill (a new boot: the instance started again when the controller had stopped it), pause or cut-off. */
  async restore(nodeId: string): Promise<void> {
    const condition = this.conditions.get(nodeId);
    if (condition === "cut off") {
      this.gateway.unblock(this.keys[nodeId]!.accessKeyId);
      this.note(`${nodeId} reconnected`);
    } else if (condition === "paused") {
      for (const pid of [this.agents.get(nodeId)?.pid, ...this.servicePids(nodeId)]) if (pid) signal(pid, "SIGCONT");
      this.note(`${nodeId} resumed: SIGCONT`);
    } else if (condition === "killed") {
      const node = this.definition.nodes.find((n) => n.id === nodeId);
      if (node?.kind === "ec2") await this.aws.startInstance(node.instanceId);
      this.startAgent(nodeId);
      this.note(`${nodeId} back: a new boot of its agent`);
      return;
    }
    this.conditions.set(nodeId, "up");
  }

  /** Reads the table, the controller's passes and the agents' logs into `snapshot` and `events`. */
  private async watch(): Promise<void> {
    while (!this.stopped) {
      try {
        this.snapshot = await this.store.readSnapshot();
        this.snapshotAt = Date.now();
      } catch (error) {
        this.note(`reading the table failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.collect();
      await sleep(100);
    }
  }

  /** New controller events and agent lines, in the event list. */
  collect(): void {
    this.list.collect(this.controller.passes, this.agents);
  }

  /** Which node answers on a service's port, undefined when none does. */
  async answering(resourceId: string): Promise<string | undefined> {
    const port = this.ports.get(resourceId);
    if (port === undefined) return undefined;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      return / on (\S+)/.exec(await response.text())?.[1];
    } catch {
      return undefined;
    }
  }

  /** Stops everything it started: agents (SIGKILL, services with them), controller, gateway, AWS side. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.watching;
    const pids = this.nodeIds.flatMap((id) => this.servicePids(id));
    for (const agent of this.agents.values()) {
      if (agent.pid) signal(agent.pid, "SIGCONT");
      await agent.kill();
    }
    for (const pid of pids) {
      signal(pid, "SIGCONT");
      signal(pid, "SIGKILL");
    }
    await this.controller.stop();
    await this.gateway.close();
    await this.aws.close();
  }
}
