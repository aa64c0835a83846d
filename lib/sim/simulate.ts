/**
 * `baton simulate`: what Baton would do, from a definition alone. The deterministic simulation's world
 * (lib/sim: the REAL heartbeat function, controller function and agents on a virtual clock, against EC2,
 * Route 53 and DynamoDB fakes with modelled latencies: StopInstances up to 15 s, detach up to 8 s, attach
 * up to 5 s, starts up to 1.5 s) runs the cluster settled with every group on its first preferred owner,
 * then applies the faults asked for and reports what moved where, in which order of steps, what was fenced,
 * which groups wait, freeze or fail, and when each phase happened. No AWS call, no clock: the same input gives
 * the same answer (a fixed seed).
 */
import { assessNodes } from "../core/controller/detection.js";
import { drainRefusal } from "../core/controller/intents.js";
import { type GroupRecord, isFenced } from "../core/controller/records.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import { buildWorld } from "./build-world.js";
import { Prng } from "./prng.js";

/**
 * `fail`: the machine powers off; `partition`: cut off from AWS both ways for good; `drain`: an operator's `baton drain`
 * (refused, as the command is, when a group it owns has no other preferred owner up); `stop`: `systemctl stop
 * baton-agent` (the agent stops its groups and leaves).
 */
export type FaultKind = "fail" | "partition" | "drain" | "stop";

export interface SimulateFault {
  readonly kind: FaultKind;
  readonly node: string;
}

export interface SimulateOptions {
  readonly faults: readonly SimulateFault[];
  /** When the faults strike, ms after the cluster is settled. @default 30_000 */
  readonly atMs?: number;
  /** How long to watch after the faults. @default 180_000 */
  readonly watchMs?: number;
  /** The world's random latencies come from this seed. @default 1 */
  readonly seed?: number;
}

/** One group's state as the table held it. */
export interface GroupState {
  readonly owner: string | null;
  readonly epoch: number;
  readonly status: string;
  readonly reason: string;
}

/** A step of a move, when the controller recorded it done (ms after the faults). */
export interface TimelineEntry {
  readonly atMs: number;
  readonly text: string;
}

export interface GroupOutcome {
  readonly id: string;
  readonly before: GroupState;
  readonly after: GroupState;
  /** "moved" (to another owner), "stayed", "waiting" (no candidate), "failed", "frozen". */
  readonly outcome: "moved" | "stayed" | "waiting" | "failed" | "frozen";
  /** The moves, in order: decision, each step, online. */
  readonly phases: readonly TimelineEntry[];
}

export interface SimulationReport {
  readonly cluster: string;
  readonly timing: { heartbeatIntervalMs: number; leaseDurationMs: number; controllerTickMs: number };
  readonly faults: readonly SimulateFault[];
  readonly groups: readonly GroupOutcome[];
  /** Nodes a move's fence step stopped, or found stopped (StopInstances Force), before their volumes moved. */
  readonly fenced: readonly string[];
  /** Whether the mass-failure guard froze the cluster. */
  readonly frozen: boolean;
  /** Every line of the timeline: ms after the faults (negative: before). */
  readonly timeline: readonly TimelineEntry[];
  /** What the simulation's oracle found (none expected: a two-owner run, a volume written twice...). */
  readonly violations: readonly string[];
}

const START = Date.UTC(2026, 0, 5, 12, 0, 0);
/** Long enough for every group to be placed and settled before the faults. */
const SETTLE_MS = 20_000;

/** Checks the faults name nodes of the definition; returns the problems (empty when fine). */
export function checkFaults(definition: ClusterDefinition, faults: readonly SimulateFault[]): string[] {
  const ids = new Set(definition.nodes.map((n) => n.id));
  return faults
    .filter((f) => !ids.has(f.node))
    .map((f) => `--${f.kind} ${f.node}: no node "${f.node}" in the definition (nodes: ${[...ids].join(", ")})`);
}

export async function simulate(definition: ClusterDefinition, options: SimulateOptions): Promise<SimulationReport> {
  const problems = checkFaults(definition, options.faults);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const atMs = options.atMs ?? 30_000;
  const faultAt = START + SETTLE_MS + atMs;
  const world = buildWorld({
    definition,
    start: START,
    rng: new Prng(options.seed ?? 1),
    traceZero: faultAt,
    phaseOneEnd: START,
  });
  const { sched, trace, oracle, table, ec2, machines, controllers } = world;
  // Settled to begin with: each group online on its first preferred owner, epoch 1, its resources there.
  world.settle((g) => g.preferredOwners[0]!, "settled before the simulation");
  const before = new Map<string, GroupState>();
  const phases = new Map<string, TimelineEntry[]>(definition.groups.map((g) => [g.id, []]));
  const rel = () => sched.now - faultAt;
  const fencedNodes = new Set<string>();
  table.onGroupWrite = (previous, next) => {
    if (sched.now < faultAt) return;
    const list = phases.get(next.groupId);
    if (!list) return;
    if (previous?.epoch !== next.epoch && next.plan) {
      list.push({
        atMs: rel(),
        text: `${next.plan.kind} decided: ${next.plan.source ?? "-"} -> ${next.plan.target}, epoch ${next.epoch} (${next.plan.reason})`,
      });
    } else if (previous?.plan && next.plan && previous.plan.stepIndex !== next.plan.stepIndex) {
      const done = previous.plan.steps[previous.plan.stepIndex];
      if (done) list.push({ atMs: rel(), text: `done: ${describeStep(done)}` });
      // Only a fence that stopped the instance or found it stopped: one skipped (its source confirmed) fenced nothing.
      if (done?.kind === "fence" && isFenced(next.plan, done.instanceId))
        fencedNodes.add(done.nodeId ?? done.instanceId);
    }
    if (previous?.status !== next.status || (next.plan === null && previous?.plan)) {
      if (previous?.plan && !next.plan) {
        const last = previous.plan.steps[previous.plan.stepIndex];
        if (last) list.push({ atMs: rel(), text: `done: ${describeStep(last)}` });
      }
      list.push({ atMs: rel(), text: `${next.status} on ${next.owner ?? "no node"}: ${next.statusReason}` });
    }
  };

  // Both the one-minute schedule and a first invocation right away, as a deployed controller.
  const end = faultAt + (options.watchMs ?? 180_000);
  sched.at(START + 8_000, () => {
    controllers.extra(Math.floor(50_000 / definition.timing.controllerTickMs));
    world.startWaking();
  });
  controllers.schedule(START + 60_000, end);

  sched.at(faultAt, () => {
    for (const g of definition.groups) before.set(g.id, stateOf(table.groups.get(g.id)));
    for (const f of options.faults) {
      const m = machines.get(f.node)!;
      trace.add(`FAULT ${f.kind} ${f.node}`);
      if (f.kind === "fail") {
        if (m.instanceId) ec2.powerOff(m.instanceId);
        else m.powerOff();
      } else if (f.kind === "partition") {
        m.net.toAws.push([sched.now, Infinity]);
        m.net.fromAws.push([sched.now, Infinity]);
      } else if (f.kind === "drain") {
        drainNode(f.node);
      } else {
        m.stopAgent();
      }
    }
  });
  /** What `baton drain` writes (docs/operations.md), when it would: the node's admin item, drained. */
  function drainNode(nodeId: string): void {
    const health = assessNodes(definition, table.nodes, sched.now, table.groups, table.admin);
    const refusal = drainRefusal(definition, nodeId, table.admin.get(nodeId), table.groups, health);
    if (refusal !== null) {
      trace.add(`baton drain ${nodeId} refused: ${refusal}`);
      return;
    }
    table.admin.set(nodeId, { nodeId, drained: true, failback: false, by: "baton simulate", at: sched.now });
    trace.add(`baton drain ${nodeId}: drained`);
  }
  // Done when, after the faults, nothing has moved for two leases and no plan is open.
  let quietSince = faultAt;
  let lastVersion = -1;
  await sched.run(end, () => {
    if (sched.now < faultAt + 5_000) return false;
    const versions = [...table.groups.values()].reduce((sum, g) => sum + g.version, 0);
    const open = [...table.groups.values()].some((g) => g.plan !== null);
    if (versions !== lastVersion || open) {
      lastVersion = versions;
      quietSince = sched.now;
    }
    return sched.now - quietSince > 2 * definition.timing.leaseDurationMs + 10_000;
  });

  const frozen = table.guard?.frozen === true || table.lastFrozenAt >= faultAt;
  const groups: GroupOutcome[] = definition.groups.map((g) => {
    const b = before.get(g.id) ?? stateOf(undefined);
    const after = stateOf(table.groups.get(g.id));
    const noCandidate = /no (other )?preferred owner is up/.test(after.reason);
    const outcome: GroupOutcome["outcome"] =
      after.status === "failed"
        ? "failed"
        : after.status !== "online" && (noCandidate || !frozen)
          ? "waiting"
          : after.status !== "online"
            ? "frozen"
            : after.owner !== b.owner
              ? "moved"
              : "stayed";
    return { id: g.id, before: b, after, outcome, phases: phases.get(g.id) ?? [] };
  });
  const fenced = [...fencedNodes];
  const interesting =
    /^(FAULT|baton drain|table: group|ec2: (StopInstances|DetachVolume|AttachVolume|\S+ (stopped|detached))|\S+: (power|systemctl|\S+ (start done|stop begins|killed)|agent (error|warn): (lease|stopp)))/;
  const timeline = trace.lines
    .filter((l) => l.at >= faultAt - 1 && interesting.test(l.text))
    .map((l) => ({ atMs: l.at - faultAt, text: l.text }));
  return {
    cluster: definition.cluster,
    timing: {
      heartbeatIntervalMs: definition.timing.heartbeatIntervalMs,
      leaseDurationMs: definition.timing.leaseDurationMs,
      controllerTickMs: definition.timing.controllerTickMs,
    },
    faults: options.faults,
    groups,
    fenced,
    frozen,
    timeline,
    violations: oracle.violations.map((v) => `${v.kind}: ${v.text}`),
  };
}

function stateOf(record: GroupRecord | undefined): GroupState {
  return {
    owner: record?.owner ?? null,
    epoch: record?.epoch ?? 0,
    status: record?.status ?? "offline",
    reason: record?.statusReason ?? "never placed",
  };
}

function describeStep(step: NonNullable<GroupRecord["plan"]>["steps"][number]): string {
  const fields = Object.entries(step)
    .filter(([k]) => k !== "kind")
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
  return `${step.kind} (${fields})`;
}

/** The report as a readable timeline. */
export function formatReport(report: SimulationReport): string {
  const s = (ms: number) => `${ms < 0 ? "-" : "+"}${(Math.abs(ms) / 1000).toFixed(1)}s`;
  const t = report.timing;
  const lines = [
    `Simulated cluster ${report.cluster} (heartbeat ${t.heartbeatIntervalMs} ms, lease ${t.leaseDurationMs} ms, controller pass every ${t.controllerTickMs} ms), modelled AWS latencies.`,
    `Faults at +0.0s: ${report.faults.map((f) => `${f.kind} ${f.node}`).join(", ")}`,
    "",
  ];
  for (const g of report.groups) {
    const head =
      g.outcome === "moved"
        ? `moves ${g.before.owner ?? "-"} -> ${g.after.owner ?? "-"} (epoch ${g.after.epoch})`
        : g.outcome === "stayed"
          ? `stays on ${g.after.owner ?? "-"}`
          : `${g.outcome.toUpperCase()}: ${g.after.status} on ${g.after.owner ?? "-"}: ${g.after.reason}`;
    lines.push(`group ${g.id}: ${head}`);
    for (const p of g.phases) lines.push(`  ${s(p.atMs).padStart(8)}  ${p.text}`);
  }
  lines.push("", `fenced: ${report.fenced.length > 0 ? report.fenced.join(", ") : "none"}`);
  if (report.frozen)
    lines.push("the mass-failure guard FROZE the cluster: nothing moves until an operator unfreezes it");
  lines.push(
    report.violations.length === 0
      ? "safety: no group ran on two nodes, no volume was attached twice (the simulation's oracle)"
      : `SAFETY VIOLATIONS:\n${report.violations.map((v) => `  ${v}`).join("\n")}`,
  );
  return lines.join("\n");
}
