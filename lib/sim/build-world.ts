/**
 * The simulated world, built one way for both of its users (`baton simulate`, lib/sim/simulate.ts, and the
 * safety simulation, test/sim/run-schedule.ts): the table, EC2 and Route 53 fakes, one machine per node with its
 * real agent booting within the first 2 s, the real heartbeat function over the table, and the controller
 * invocations. `settle` then seeds a running cluster.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { indexCluster } from "../core/cluster-index.js";
import { type ClusterDefinition, type GroupDefinition, isAgentResource } from "../core/definition/types.js";
import { agentResourceSpecs } from "../core/heartbeat/agent-resources.js";
import { createHeartbeatHandler, type HeartbeatHandler } from "../handlers/heartbeat.js";
import { heartbeatRoute } from "../infra/names.js";
import { Controllers, type InvocationFaults } from "./controllers.js";
import { Machine } from "./machine.js";
import { Oracle } from "./oracle.js";
import type { Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";
import { Trace } from "./trace.js";
import { SimDns } from "./world/dns.js";
import { SimEc2 } from "./world/ec2.js";
import { SimTable } from "./world/table.js";
import { simulatedWake } from "./world/wake.js";
import type { Windows } from "./world/windows.js";

export interface WorldOptions {
  /** The definition deployed at the start (`deploy` replaces it). */
  readonly definition: ClusterDefinition;
  /** Absolute virtual time the world begins. */
  readonly start: number;
  readonly rng: Prng;
  /** The time the trace counts from. */
  readonly traceZero: number;
  /** Absolute time phase one ends (starts begun before may stall: lib/sim/processes.ts). */
  readonly phaseOneEnd: number;
  /** Each heartbeat invocation lands on a Lambda host whose clock is off by up to this much. @default 0 */
  readonly heartbeatClockErrorMs?: number;
  /** Nodes on a platform where a detach of a volume still in use goes through (Nitro). @default none */
  readonly detachGoesThrough?: readonly string[];
  /** Faults of given controller invocations. @default none */
  readonly invocationFaults?: Map<number, InvocationFaults>;
}

export interface World {
  readonly sched: Scheduler;
  readonly trace: Trace;
  readonly oracle: Oracle;
  /** The windows of AWS trouble the schedule opens (throttling, sticky stops and detaches, lost answers). */
  readonly windows: Windows;
  readonly table: SimTable;
  readonly ec2: SimEc2;
  readonly dns: SimDns;
  readonly machines: Map<string, Machine>;
  readonly controllers: Controllers;
  /** The definition deployed now. */
  definition(): ClusterDefinition;
  /** Deploys a definition: the heartbeat function's next invocations and the controller's next passes use it. */
  deploy(definition: ClusterDefinition): void;
  /**
   * From now on a heartbeat that calls for it wakes the controller. A seeded table (owners without node items)
   * stands for a cluster already running, which no controller may judge before every agent's first heartbeat is
   * recorded: a wake-up earlier would judge an owner never heard as long gone.
   */
  startWaking(): void;
  /** Seeds a settled cluster: each group online on `ownerOf(group)`, epoch 1, its resources running and held there. */
  settle(ownerOf: (group: GroupDefinition) => string, reason: string): void;
}

export function buildWorld(options: WorldOptions): World {
  const { start, rng } = options;
  const first = options.definition;
  let definition = first;
  const sched = new Scheduler(start);
  const trace = new Trace(() => sched.now, options.traceZero);
  const oracle = new Oracle(() => sched.now, trace);
  const windows: Windows = { throttleStorm: [], stickyStop: [], stickyDetach: [], lostAnswers: [] };
  const table = new SimTable(sched, rng.fork("table"), oracle, trace);
  const machines = new Map<string, Machine>();
  const byInstance = (id: string): Machine | undefined => [...machines.values()].find((m) => m.instanceId === id);
  const ec2 = new SimEc2(
    sched,
    rng.fork("ec2"),
    oracle,
    trace,
    {
      mountMayRun: (instanceId, volumeId) => byInstance(instanceId)?.processes.mountMayRun(volumeId) ?? false,
      instanceStopped: (instanceId) => byInstance(instanceId)?.powerOff(),
      instanceRunning: (instanceId) => byInstance(instanceId)?.powerOn(),
    },
    windows,
    new Set(
      first.nodes
        .filter((n) => n.kind === "ec2" && options.detachGoesThrough?.includes(n.id))
        .map((n) => (n.kind === "ec2" ? n.instanceId : "")),
    ),
  );
  const dns = new SimDns(sched, rng.fork("dns"), windows);

  // Set once the controllers may be woken (startWaking); a heartbeat before that wakes nothing.
  let wakeController: (reason: unknown) => void = () => undefined;
  // Wake-ups of the controller, deduplicated on one claim that outlives a deploy, as the table's item does.
  const wake = simulatedWake(table, (reason) => wakeController(reason));
  const clockErrorMs = options.heartbeatClockErrorMs ?? 0;
  let deploys = 0;
  let hbHandler: HeartbeatHandler;
  const deployHeartbeat = (): void => {
    const hbRng = rng.fork(`hb-${++deploys}`);
    hbHandler = createHeartbeatHandler({
      index: indexCluster(definition),
      store: table.heartbeats,
      clock: { now: () => sched.now + hbRng.int(-clockErrorMs, clockErrorMs) },
      logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
      wake,
    });
  };
  deployHeartbeat();

  const groupOf = new Map<string, string>();
  for (const g of first.groups) for (const r of g.resources) groupOf.set(r.id, g.id);
  let n = 0;
  for (const node of first.nodes) {
    if (node.kind === "ec2") ec2.addInstance(node.instanceId, node.availabilityZone, ++n);
    const machine = new Machine(
      node,
      {
        sched,
        oracle,
        trace,
        invokeHeartbeat: async (body, callerArn) => {
          // The request line as the endpoint passes it (the handler answers any other 404 or 405).
          const event = {
            body,
            isBase64Encoded: false,
            rawPath: heartbeatRoute.path,
            requestContext: {
              http: { method: heartbeatRoute.method, path: heartbeatRoute.path },
              authorizer: { iam: { userArn: callerArn } },
            },
          } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
          const result = await hbHandler(event, {
            invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:hb",
          });
          return { status: result.statusCode ?? 500, body: JSON.parse(result.body ?? "null") as unknown };
        },
        volumeAttached: (volumeId, instanceId) => {
          const a = ec2.volumes.get(volumeId)?.attachment;
          return a?.instanceId === instanceId && a.state === "attached";
        },
        unmounted: (instanceId, volumeId) => ec2.unmounted(instanceId, volumeId),
        phaseOneEnd: options.phaseOneEnd,
        groupFenced: (groupId) => first.groups.find((g) => g.id === groupId)?.fencing === "stop-instance",
      },
      rng.fork(`machine-${node.id}`),
      (id) => groupOf.get(id) ?? "?",
    );
    machines.set(node.id, machine);
    sched.at(start + rng.int(0, 2000), () => machine.bootAgent());
  }

  const settle = (ownerOf: (group: GroupDefinition) => string, reason: string): void => {
    for (const g of first.groups) {
      const owner = ownerOf(g);
      table.groups.set(g.id, {
        groupId: g.id,
        version: 1,
        owner,
        epoch: 1,
        status: "online",
        statusReason: reason,
        since: start,
        plan: null,
        failovers: [],
        failedOn: {},
        desired: Object.fromEntries(g.resources.filter(isAgentResource).map((r) => [r.id, "online" as const])),
      });
      oracle.groupWritten(g.id, 1, false);
      for (const spec of agentResourceSpecs(g)) machines.get(owner)!.processes.seedRunning(spec);
    }
    // A volume lies in its first owner's zone (else the first EC2 node's); each address has its own IP.
    let addresses = 0;
    for (const g of first.groups) {
      const owner = first.nodes.find((x) => x.id === ownerOf(g));
      const zone =
        (owner?.kind === "ec2" ? owner.availabilityZone : undefined) ??
        first.nodes.find((x) => x.kind === "ec2")?.availabilityZone ??
        "us-east-1a";
      for (const r of g.resources) {
        if (r.type === "ebs-volume") ec2.addVolume(r.volumeId, zone);
        if (r.type === "elastic-ip") ec2.addAddress(r.allocationId, `198.51.100.${10 + (addresses++ % 200)}`);
        if (r.type === "ebs-volume" && owner?.kind === "ec2")
          ec2.seedAttachment(r.volumeId, owner.instanceId, r.device);
        if (r.type === "elastic-ip" && owner?.kind === "ec2") ec2.seedAssociation(r.allocationId, owner.instanceId);
      }
    }
  };

  const controllers = new Controllers(
    { sched, trace, table, ec2, dns, definition: () => definition },
    rng.fork("controllers"),
    options.invocationFaults ?? new Map(),
  );

  return {
    sched,
    trace,
    oracle,
    windows,
    table,
    ec2,
    dns,
    machines,
    controllers,
    definition: () => definition,
    deploy: (next) => {
      definition = next;
      deployHeartbeat();
    },
    startWaking: () => {
      wakeController = (reason) => controllers.wake(reason);
    },
    settle,
  };
}
