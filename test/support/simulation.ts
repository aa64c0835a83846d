import { answerFor } from "../../lib/core/heartbeat/answer.js";
import type { GroupOwnership } from "../../lib/core/heartbeat/store.js";
import type { ResourceState } from "../../lib/core/heartbeat/message.js";
import { indexCluster, type ClusterIndex } from "../../lib/core/cluster-index.js";
import type { ClusterDefinition } from "../../lib/core/definition/types.js";
import type { ControllerDependencies } from "../../lib/controller/dependencies.js";
import { runPass, type PassSummary } from "../../lib/controller/pass.js";
import { exampleDefinition } from "./example-cluster.js";
import { exampleDns, type FakeDns, type FakeDnsOptions } from "./fakes/dns.js";
import { EXAMPLE_EC2, FakeEc2, exampleEc2World, type FakeEc2Options } from "./fakes/ec2.js";
import { InMemoryStateStore } from "./fakes/state-store.js";

const INSTANCE_OF: Record<string, string> = { "db-a": EXAMPLE_EC2.dbA, "db-b": EXAMPLE_EC2.dbB };

/** The EC2 fake, watching the one thing that must never happen: a split brain on the volume. */
class WatchedEc2 extends FakeEc2 {
  readonly violations: string[] = [];
  constructor(
    private readonly sim: { mayWrite(instanceId: string): boolean },
    options: FakeEc2Options,
  ) {
    super(exampleEc2World(), options);
  }
  override async attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    for (const id of Object.values(INSTANCE_OF)) {
      if (id !== instanceId && this.sim.mayWrite(id)) {
        this.violations.push(`volume attached to ${instanceId} while ${id} may still be writing it`);
      }
    }
    await super.attachVolume(volumeId, instanceId, device);
  }
}

/**
 * The example cluster on a simulated clock: the in-memory table, stateful EC2 and Route 53 fakes,
 * and agents that do at once what their heartbeat answer asks (built by the real `answerFor`).
 * Nothing sleeps: time moves only when told.
 */
export class Simulation {
  now = Date.UTC(2026, 10, 22, 12, 0, 0);
  readonly definition: ClusterDefinition;
  readonly index: ClusterIndex;
  readonly store = new InMemoryStateStore();
  readonly ec2: WatchedEc2;
  readonly dns: FakeDns;
  readonly notifications: string[] = [];
  /** Nodes whose agents heartbeat. */
  readonly alive = new Set<string>();
  /** Resources an owner reports failed (its local restarts exhausted). */
  readonly failing = new Map<string, string>();
  /** Resources a node's agent never finishes starting (it reports them `starting`). */
  readonly stuckStarting = new Map<string, string>();
  /**
   * Nodes whose heartbeats arrive but whose answers are lost (a one-way partition), with since when. Such an
   * agent keeps reporting what it ran until its lease is over (lease − max(250 ms, lease / 20) after the
   * partition began), then reports each of those resources `fenced` (stopped on losing its lease), still under
   * the epochs of the last answer it got.
   */
  readonly answersLost = new Map<string, number>();
  private readonly lastReport = new Map<
    string,
    { resources: Record<string, ResourceState>; epochs: Record<string, number> }
  >();
  private lastBeat = -Infinity;
  private lastPass = -Infinity;
  private passes = 0;

  constructor(options: { ec2?: FakeEc2Options; dns?: FakeDnsOptions; definition?: ClusterDefinition } = {}) {
    this.definition = options.definition ?? exampleDefinition();
    this.index = indexCluster(this.definition);
    this.ec2 = new WatchedEc2(this, { clock: () => this.now, ...options.ec2 });
    this.dns = exampleDns({}, { pendingChecks: 1, ...options.dns });
    for (const node of this.definition.nodes) this.alive.add(node.id);
  }

  /**
   * Whether an instance may still be writing the volume, as far as the controller can know: it runs,
   * its node is silent (a partition, not a crash), and the mount was online in its last report.
   * (Its agent stops the mount when its lease runs out; the controller must not rely on that alone.)
   */
  mayWrite(instanceId: string): boolean {
    const node = Object.entries(INSTANCE_OF).find(([, id]) => id === instanceId)?.[0];
    if (node === undefined || this.alive.has(node)) return false;
    const mount = this.store.liveness.get(node)?.resources["pg-mount"];
    return this.ec2.peekInstance(instanceId)?.state === "running" && mount !== undefined && mount !== "offline";
  }

  dependencies(holder: string): ControllerDependencies {
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    return {
      definition: this.definition,
      store: this.store,
      ec2: this.ec2,
      dns: this.dns,
      notifier: { publish: (subject) => Promise.resolve(void this.notifications.push(subject)) },
      clock: { now: () => this.now },
      holder,
      logger: quiet,
    };
  }

  /** Every alive agent sends a heartbeat reporting what its last answer asked for. */
  heartbeat(): void {
    for (const nodeId of this.alive) {
      const instance = INSTANCE_OF[nodeId];
      if (instance && this.ec2.peekInstance(instance)?.state !== "running") continue; // stopped: silent
      const ownership = new Map<string, GroupOwnership>(
        [...this.store.groups.values()].map((g) => [
          g.groupId,
          { owner: g.owner, epoch: g.epoch, desired: g.desired, status: g.status },
        ]),
      );
      const answer = answerFor(this.index, { nodeId, bootId: "b", seq: 0, resources: {} }, this.now, ownership);
      const resources: Record<string, ResourceState> = {};
      for (const group of answer.groups) {
        for (const [id, state] of Object.entries(group.resources)) resources[id] = state;
      }
      const failed = this.failing.get(nodeId);
      if (failed && resources[failed] === "online") resources[failed] = "failed";
      const stuck = this.stuckStarting.get(nodeId);
      if (stuck && resources[stuck] === "online") resources[stuck] = "starting";
      // It obeys each answer at once, so it acts under each group's epoch in that answer (docs/protocol.md).
      const epochs = Object.fromEntries(answer.groups.map((g) => [g.id, g.epoch]));
      const lostSince = this.answersLost.get(nodeId);
      const last = this.lastReport.get(nodeId);
      if (lostSince !== undefined && last !== undefined) {
        // No answer reaches it: it acts on nothing new and reports what it ran, self-fenced once its lease is over.
        const lease = this.definition.timing.leaseDurationMs;
        const leaseOver = this.now >= lostSince + lease - Math.max(250, Math.ceil(lease / 20));
        const held = Object.fromEntries(
          Object.entries(last.resources).map(([id, state]) => [
            id,
            leaseOver && state !== "offline" ? "fenced" : state,
          ]),
        ) as Record<string, ResourceState>;
        this.store.heartbeat(nodeId, this.now, held, "boot-1", false, last.epochs, answer.leaseDurationMs);
        continue;
      }
      this.lastReport.set(nodeId, { resources, epochs });
      this.store.heartbeat(nodeId, this.now, resources, "boot-1", false, epochs, answer.leaseDurationMs);
    }
    this.lastBeat = this.now;
  }

  /** A pass; by default all passes come from one long-lived controller, as within one invocation. */
  async pass(holder = "controller"): Promise<PassSummary> {
    this.passes++;
    return runPass(this.dependencies(holder));
  }

  /**
   * Moves time forward in 1 s steps: heartbeats every interval, a pass every controller tick (with
   * `passes: false`, no controller runs: only the agents heartbeat).
   */
  async advance(ms: number, options: { passes?: boolean } = {}): Promise<void> {
    const { heartbeatIntervalMs, controllerTickMs } = this.definition.timing;
    const end = this.now + ms;
    while (this.now < end) {
      this.now += 1_000;
      if (this.now - this.lastBeat >= heartbeatIntervalMs) this.heartbeat();
      if (options.passes !== false && this.now - this.lastPass >= controllerTickMs) {
        this.lastPass = this.now;
        await this.pass();
      }
    }
  }

  /** The node's agent falls silent; with `stopInstance`, its instance is gone too (else: partitioned). */
  silence(nodeId: string): void {
    this.alive.delete(nodeId);
  }

  /** The node's agent stops everything, says it is leaving (a planned shutdown), and falls silent. */
  leave(nodeId: string): void {
    const reported = this.store.liveness.get(nodeId)?.resources ?? {};
    const stopped = Object.fromEntries(Object.keys(reported).map((id) => [id, "offline" as const]));
    this.store.heartbeat(nodeId, this.now, stopped, "boot-1", true);
    this.alive.delete(nodeId);
  }

  revive(nodeId: string): void {
    const instance = INSTANCE_OF[nodeId];
    if (instance && this.ec2.peekInstance(instance)?.state === "stopped")
      this.ec2.setInstanceState(instance, "running");
    this.failing.delete(nodeId);
    this.alive.add(nodeId);
  }
}
