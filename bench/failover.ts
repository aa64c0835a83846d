// npm run bench:failover — from a node's last heartbeat to its group online on the target, on a simulated clock,
// for the example's postgres (db-a -> db-b: fence, volume, mount, service, address, record) and reports
// (office-1 -> db-b: service, record), with (a) zero-latency AWS and (b) AWS latencies modelled on published
// figures (docs/cost.md, "Failover time"). The controller makes a pass every tick while a move is in flight
// (test/support/simulation.ts); the agents heartbeat every interval and report what each answer asks for at once (a
// real agent with instant starts, which heartbeats at once when a run of starts is up: docs/agent.md).
import { takeoverGraceMs } from "../lib/core/controller/timing.js";
import { Simulation } from "../test/support/simulation.js";

/** AWS latencies modelled in (b): see docs/cost.md for the sources. */
const MODELLED = {
  /** StopInstances with Force: from `stopping` to `stopped`. */
  stopMs: 30_000,
  /** DetachVolume (forced on a fenced instance): `detaching` to `available`. */
  detachMs: 5_000,
  /** AttachVolume: `attaching` to `attached`, in describes at one a pass (a pass every 2 s tick): ~5 s. */
  attachDescribes: 3,
  /** Route 53 ChangeResourceRecordSets: PENDING to INSYNC, in GetChange calls at one a pass: ~60 s. */
  dnsPendingChecks: 30,
};

interface Run {
  total: number;
  phases: Map<string, number>;
}

async function failover(group: "postgres" | "reports", modelled: boolean, offsetMs: number): Promise<Run> {
  const source = group === "postgres" ? "db-a" : "office-1";
  const target = "db-b";
  const sim = modelled
    ? new Simulation({
        ec2: {
          detachDescribes: 0,
          attachDescribes: MODELLED.attachDescribes,
          stopDescribes: 0,
          stopMs: MODELLED.stopMs,
          detachMs: MODELLED.detachMs,
        },
        dns: { pendingChecks: MODELLED.dnsPendingChecks },
      })
    : new Simulation({ ec2: { detachDescribes: 0, attachDescribes: 0, stopDescribes: 0 }, dns: { pendingChecks: 0 } });
  await sim.advance(modelled ? 150_000 : 30_000);
  sim.now += offsetMs; // the silence begins at any phase of the tick
  sim.heartbeat();
  const lastBeat = sim.store.liveness.get(source)!.receivedAt;
  sim.silence(source);
  while (sim.store.groups.get(group)?.owner !== target || sim.store.groups.get(group)?.status !== "online") {
    await sim.advance(1_000);
    if (sim.now - lastBeat > 600_000) throw new Error(`no failover of ${group} within 10 minutes`);
  }
  const epoch = sim.store.groups.get(group)!.epoch;
  const log = sim.store.log.filter((e) => e.groupId === group && e.epoch === epoch);
  const started = log.find((e) => e.event === "failover-started")!.at;
  const done = log.find((e) => e.event === "failover-completed")!.at;
  const phases = new Map<string, number>([["detection", started - lastBeat]]);
  for (const step of log.filter((e) => e.event === "step")) {
    const kind = (step.step ?? "?").split(" ")[0]!;
    const phase =
      kind === "fence"
        ? "fencing"
        : kind.endsWith("volume") || kind === "check-volume-zone"
          ? "volume"
          : kind === "associate-address"
            ? "address"
            : kind === "upsert-record"
              ? "record"
              : kind.startsWith("await")
                ? "agent start"
                : kind;
    phases.set(phase, (phases.get(phase) ?? 0) + (step.durationMs ?? 0));
  }
  return { total: done - lastBeat, phases };
}

async function main(): Promise<void> {
  const timing = new Simulation().definition.timing;
  const detectionBound = timing.leaseDurationMs + takeoverGraceMs(timing) + timing.heartbeatIntervalMs;
  console.log(
    `Failover on a simulated clock, example timings (lease ${timing.leaseDurationMs / 1000} s, grace ${takeoverGraceMs(timing) / 1000} s, ` +
      `heartbeat ${timing.heartbeatIntervalMs / 1000} s, tick ${timing.controllerTickMs / 1000} s); detection target ${detectionBound / 1000} s`,
  );
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  for (const modelled of [false, true]) {
    console.log(modelled ? "\n(b) modelled AWS latencies:" : "\n(a) zero-latency AWS:");
    for (const group of ["postgres", "reports"] as const) {
      for (const offset of [0, 500, 1_000, 1_500]) {
        const run = await failover(group, modelled, offset);
        const phases = [...run.phases].map(([name, ms]) => `${name} ${s(ms)}`).join(", ");
        const detection = run.phases.get("detection")!;
        console.log(
          `  ${group.padEnd(8)} last heartbeat -> online on db-b: ${s(run.total)} (${phases})` +
            ` | detection ${detection <= detectionBound ? "within" : "OVER"} ${s(detectionBound)}` +
            (group === "postgres" && !modelled ? ` | online ${run.total <= 15_000 ? "within" : "OVER"} 15.0 s` : ""),
        );
      }
    }
  }
  console.log(
    "\nStep durations overlap detection's end by at most a pass; 'agent start' is the wait for the target's reports.",
  );
}

await main();
