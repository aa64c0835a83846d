/**
 * Runs one schedule: builds the world (table, EC2, Route 53, machines with real agents, the real heartbeat
 * handler, the real controller handler), applies the faults at their times, and lets the oracle judge.
 */
import type { Timing } from "../../lib/core/definition/types.js";
import { isAgentResource } from "../../lib/core/definition/types.js";
import { buildWorld } from "../../lib/sim/build-world.js";
import type { InvocationFaults } from "./controllers.js";
import { simDefinitions } from "./definitions.js";
import { describeFault, PHASE_ONE_END, type Schedule } from "./faults.js";
import { controllerBackAt, heldDetachMs, livenessBoundMs, untoldOwnerDeadline } from "./liveness.js";
import type { Machine } from "./machine.js";
import type { Violation } from "./oracle.js";
import { Prng } from "./prng.js";
import { judgeUsr2Restarts } from "./restart-check.js";
import type { Trace } from "./trace.js";

/** 02:00 UTC: inside postgres's failback window (01:00-05:00), so failbacks happen too. */
export const SIM_START = Date.UTC(2026, 10, 22, 2, 0, 0);

export interface ScheduleResult {
  readonly violations: readonly Violation[];
  readonly trace: Trace;
  readonly events: number;
}

export interface RunOptions {
  /** Check the liveness bound after the final fault (default true). */
  readonly liveness?: boolean;
}

export async function runSchedule(schedule: Schedule, options: RunOptions = {}): Promise<ScheduleResult> {
  const definitions = simDefinitions();
  const base = definitions[0]!;
  const rng = new Prng(schedule.seed);
  const timings: Timing[] = [base.timing];
  const invocationFaults = new Map<number, InvocationFaults>();
  const controllerFaults: { kind: "crash" | "pause"; at: number; ms: number }[] = [];
  for (const f of schedule.faults) {
    if (f.kind === "controller-crash")
      invocationFaults.set(f.invocation, { ...invocationFaults.get(f.invocation), crashAtCall: f.call });
    if (f.kind === "controller-pause")
      invocationFaults.set(f.invocation, { ...invocationFaults.get(f.invocation), pauseAtCall: f.call, pauseMs: f.ms });
  }
  const world = buildWorld({
    definition: base,
    start: SIM_START,
    rng,
    traceZero: SIM_START,
    phaseOneEnd: SIM_START + PHASE_ONE_END,
    // Each invocation may land on another Lambda host: its clock is off by up to ±50 ms.
    heartbeatClockErrorMs: 50,
    detachGoesThrough: schedule.detachGoesThrough,
    invocationFaults,
  });
  const { sched, trace, oracle, windows, table, ec2, machines, controllers } = world;
  // A settled cluster to begin with: each group online on its first preferred owner (or, after earlier
  // failovers, the one the schedule names), epoch 1.
  world.settle((g) => schedule.initialOwners?.[g.id] ?? g.preferredOwners[0]!, "settled before the schedule");
  controllers.onFault = (kind, at, ms) => void controllerFaults.push({ kind, at, ms });

  // The one-minute schedule at a random phase: the invocation in flight when the schedule begins (its last
  // passes, as a `{"passes": N}` one), then scheduled ones. A deploy is then followed by an invocation that uses
  // it at any point of the schedule, not only a minute in.
  const phase = rng.int(10_000, 60_000);
  sched.at(SIM_START + rng.int(4000, 8000), () => {
    controllers.extra(Math.max(1, Math.floor((phase - 8_000) / base.timing.controllerTickMs)));
    // Wake-ups from then on, once every agent has had its first heartbeat recorded, as the first invocation's
    // delay ensures (World.startWaking).
    world.startWaking();
  });
  controllers.schedule(SIM_START + phase, SIM_START + schedule.durationMs);

  const machine = (id: string): Machine => {
    const m = machines.get(id);
    if (!m) throw new Error(`no node ${id}`);
    return m;
  };
  const at = (t: number, fn: () => void): void => void sched.at(SIM_START + t, fn);
  const abs = (t: number): number => SIM_START + t;
  // Power off (EC2 through EC2, so it shows `stopped`) and on.
  const powerOff = (m: Machine): void => (m.instanceId ? ec2.powerOff(m.instanceId) : m.powerOff());
  const powerOn = (m: Machine): void => (m.instanceId ? ec2.powerOn(m.instanceId) : m.powerOn());

  const strikes = schedule.faults.filter((f) => f.kind === "strike-plan");
  const crashes = schedule.faults.filter((f) => f.kind === "crash-in-move");
  for (const id of schedule.offlineOnExit ?? []) machine(id).offlineOnExit = true;
  // A hung agent only where the design admits it: nothing of a group that is not fenced runs there.
  const pause = (m: Machine, ms: number): void => {
    if (m.processes.mayHang()) m.pauseAgent(ms);
    else trace.add(`${m.id}: not paused (it runs a group that is not fenced: a residual risk, not simulated)`);
  };
  let moves = 0;
  const movesOf = new Map<string, number>();
  table.onGroupWrite = (previous, next) => {
    // Only moves that start before the final fault are struck: the final fault's own move is what liveness is
    // checked on (and a node struck near it is not counted healthy then).
    const until = SIM_START + (schedule.final?.at ?? schedule.durationMs);
    if (!next.plan || previous?.epoch === next.epoch || sched.now >= until) return;
    moves++;
    movesOf.set(next.groupId, (movesOf.get(next.groupId) ?? 0) + 1);
    for (const f of crashes) {
      const source = next.plan.source;
      if (f.group !== next.groupId || f.nth !== movesOf.get(f.group) || source === null || !next.plan.sourceAlive)
        continue;
      const first = world
        .definition()
        .groups.find((g) => g.id === f.group)
        ?.resources.find(isAgentResource);
      if (first === undefined) continue;
      const m = machine(source);
      trace.add(`FAULT ${describeFault(f)}: ${source}`);
      m.net.fromAws.push([sched.now, sched.now + f.deafMs]);
      sched.after(f.crashDelayMs, () => m.processes.crashResource(first.id));
    }
    for (const f of strikes) {
      if (f.group !== undefined ? f.group !== next.groupId || f.nth !== movesOf.get(f.group) : f.nth !== moves)
        continue;
      const source = next.plan.source;
      if (f.slowSourceStop && source !== null && next.plan.sourceAlive) {
        const group = world.definition().groups.find((g) => g.id === next.groupId);
        for (const r of group?.resources.filter(isAgentResource) ?? [])
          machine(source).processes.slowNextStop.set(r.id, [0.6, 0.95]);
      }
      const id = f.who === "target" ? next.plan.target : source;
      if (id === null) continue;
      sched.after(f.delayMs, () => {
        if (sched.now >= until) return;
        trace.add(`FAULT ${describeFault(f)}: ${id}`);
        const m = machine(id);
        switch (f.how) {
          case "dies":
            powerOff(m);
            sched.after(f.healMs, () => powerOn(m));
            break;
          case "agent-restart":
            m.restartAgent();
            break;
          case "agent-usr2":
            m.restartAgent("SIGUSR2", f.usr2);
            break;
          case "agent-crash":
            m.crashAgent();
            break;
          case "agent-pause":
            pause(m, f.healMs);
            break;
          default: {
            const window: [number, number] = [sched.now, sched.now + f.healMs];
            if (f.how !== "from-aws") m.net.toAws.push(window);
            if (f.how !== "to-aws") m.net.fromAws.push(window);
          }
        }
      });
    }
  };

  for (const f of schedule.faults) {
    if (!("at" in f)) continue;
    at(f.at, () => trace.add(`FAULT ${describeFault(f)}`));
    switch (f.kind) {
      case "node-dies":
        at(f.at, () => powerOff(machine(f.node)));
        break;
      case "node-returns":
        at(f.at, () => powerOn(machine(f.node)));
        break;
      case "partition": {
        const net = machine(f.node).net;
        if (f.direction !== "from-aws") net.toAws.push([abs(f.at), abs(f.until)]);
        if (f.direction !== "to-aws") net.fromAws.push([abs(f.at), abs(f.until)]);
        break;
      }
      case "slow-heartbeats":
        machine(f.node).net.slow.push([abs(f.at), abs(f.until)]);
        break;
      case "lossy-heartbeats":
        machine(f.node).net.lossy.push([abs(f.at), abs(f.until)]);
        break;
      case "agent-crash":
        at(f.at, () => machine(f.node).crashAgent());
        break;
      case "agent-restart":
        at(f.at, () => machine(f.node).restartAgent());
        break;
      case "agent-usr2":
        at(f.at, () => machine(f.node).restartAgent("SIGUSR2", f.usr2));
        break;
      case "agent-pause":
        at(f.at, () => pause(machine(f.node), f.ms));
        break;
      case "held-mount":
        at(f.at, () => machine(f.node).processes.lieNextUnmount.set(f.resource, f.holdMs));
        break;
      case "resource-dies":
        at(f.at, () => machine(f.node).processes.crashResource(f.resource));
        break;
      case "hang-next":
        at(f.at, () => machine(f.node).processes.hangNext[f.op].add(f.resource));
        break;
      case "extra-controller":
        at(f.at, () => controllers.extra(f.passes));
        break;
      case "throttle-storm":
        windows.throttleStorm.push([abs(f.at), abs(f.until)]);
        break;
      case "sticky-stop":
        windows.stickyStop.push([abs(f.at), abs(f.until)]);
        break;
      case "sticky-detach":
        windows.stickyDetach.push([abs(f.at), abs(f.until)]);
        break;
      case "lost-answers":
        windows.lostAnswers.push([abs(f.at), abs(f.until)]);
        table.lostAnswersFrom = Math.min(table.lostAnswersFrom, abs(f.at));
        table.lostAnswersUntil = Math.max(table.lostAnswersUntil, abs(f.until));
        break;
      case "deploy":
        at(f.at, () => {
          const next = definitions[f.variant] ?? base;
          timings.push(next.timing);
          world.deploy(next);
        });
        break;
    }
  }

  // A restart by SIGUSR2 back in time moves nothing (restart-check.ts). Not safety, but an exact promise with no
  // time bound to be loose about, so it is judged with --no-liveness too.
  judgeUsr2Restarts(schedule, world, oracle, at);

  let endAt = SIM_START + schedule.durationMs;
  const final = schedule.final;
  // The worst alignment of ticks and heartbeats, which random phases reach only rarely: the victim's agent
  // stalls briefly (less than one heartbeat interval, while still connected: its lease is not at risk) so that
  // its last heartbeat before the cut makes it silent, by the documented formula (lease + grace, grace =
  // max(2 s, lease / 5)), just before a controller pass reads the table; at the cut, each node that would take
  // one of its unfenced groups stalls as briefly so that its next heartbeat reaches AWS just after that pass
  // has written the move. Passes run every tick from their invocation's start, so the next ones are known.
  let aim: number | undefined;
  if (final?.stall?.atFenceStart) {
    at(final.at - 6_000, () => {
      const victim = machine(final.node);
      const timing = timings[timings.length - 1]!;
      const lease = timing.leaseDurationMs;
      const tick = timing.controllerTickMs;
      const interval = victim.realMs(timing.heartbeatIntervalMs);
      const grace = Math.max(2_000, Math.ceil(lease / 5));
      const lastRead = table.snapshotReads[table.snapshotReads.length - 1];
      if (lastRead === undefined || !Number.isFinite(victim.lastSentAt)) return;
      // A pass reads the table this long after it starts.
      const began = controllers.passStarts(lastRead - tick, lastRead).filter((t) => t <= lastRead);
      const offset = began.length > 0 ? lastRead - began[began.length - 1]! : 0;
      const cut = SIM_START + final.at;
      const reads = controllers.passStarts(cut, cut + lease + grace + 2 * tick).map((t) => t + offset);
      let next = victim.lastSentAt + interval;
      while (next <= sched.now) next += interval;
      for (let sigma = 0; sigma < tick; sigma += 10) {
        // Its last heartbeat before the cut is answered before it (the next one is lost), so the agent's lease
        // and the controller's silence count from the same heartbeat.
        const j = Math.floor((cut - 500 - (next + sigma)) / interval);
        if (j < 0) break;
        if (next + sigma + (j + 1) * interval < cut) continue;
        const silentAt = next + sigma + j * interval + 40 + lease + grace;
        const read = reads.find((t) => t >= silentAt);
        if (read === undefined || read - silentAt > 100) continue;
        aim = read;
        if (sigma > 0) sched.at(next - 1, () => victim.pauseAgent(sigma + 1));
        break;
      }
    });
  }
  if (final) {
    at(final.at, () => {
      trace.add(`FINAL FAULT ${final.node} ${final.how === "dies" ? "dies" : `cut off (${final.how}) for good`}`);
      const victim = machine(final.node);
      if (final.how === "dies") powerOff(victim);
      else {
        const stall = final.stall;
        const timing = timings[timings.length - 1]!;
        if (stall?.atFenceStart) {
          // As its self-fencing stop is issued (whenever the agent issues it), the machine stalls for up to what
          // the design tolerates (docs/safety.md §2, written out here): grace + margin (grace = max(2 s, lease / 5),
          // margin = max(250 ms, lease / 20)), less 100 ms of Lambda clock error; and that stop is slow (80..95 %
          // of its stopTimeout). The boundary the two margins are there for.
          const lease = timing.leaseDurationMs;
          const tolerance = Math.max(2_000, Math.ceil(lease / 5)) + Math.max(250, Math.ceil(lease / 20)) - 100;
          victim.stallAtNextStop = Math.floor((tolerance * (stall.tolerancePermille ?? 1_000)) / 1_000);
          for (const g of world.definition().groups.filter((x) => table.groups.get(x.id)?.owner === victim.id))
            for (const r of g.resources.filter(isAgentResource)) victim.processes.slowNextStop.set(r.id, [0.8, 0.95]);
        } else if (stall) {
          const lease = timing.leaseDurationMs;
          sched.after(Math.round((lease * stall.atPermille) / 1000), () => victim.pauseAgent(stall.ms));
        }
        if (aim !== undefined) {
          const read = aim;
          for (const g of world.definition().groups) {
            if (g.fencing === "stop-instance" || table.groups.get(g.id)?.owner !== victim.id) continue;
            const target = g.preferredOwners
              .map(machine)
              .find((m) => m !== victim && m.powered && m.agentAlive && !m.restarting);
            if (!target || !Number.isFinite(target.lastSentAt)) continue;
            const interval = target.realMs(timing.heartbeatIntervalMs);
            let next = target.lastSentAt + interval;
            while (next <= sched.now) next += interval;
            const sigma = Math.round((((read + 500 - next) % interval) + interval) % interval);
            if (sigma > 0) sched.at(next - 1, () => target.pauseAgent(sigma + 1));
          }
        }
        if (final.how !== "from-aws") victim.net.toAws.push([sched.now, Infinity]);
        if (final.how !== "to-aws") victim.net.fromAws.push([sched.now, Infinity]);
      }
      const now = sched.now;
      const healthy = (m: Machine): boolean =>
        m !== victim &&
        m.powered &&
        m.agentAlive &&
        !m.restarting &&
        // An EC2 node being stopped (a fence under way) is on its way out, not a healthy candidate.
        (m.instanceId === undefined || ec2.instances.get(m.instanceId)?.state === "running") &&
        m.pausedUntil < now &&
        ![m.net.toAws, m.net.fromAws, m.net.lossy, m.net.slow].some((w) => w.some(([, b]) => b > now - 5_000));
      const awsHealthy = ![windows.throttleStorm, windows.stickyStop, windows.stickyDetach, windows.lostAnswers].some(
        (w) => w.some(([, b]) => b > now - 5_000),
      );
      const obligations: {
        group: string;
        owners: readonly string[];
        agentIds: string[];
        met: boolean;
        deadline: number;
        bound: number;
      }[] = [];
      // A controller fault (AWS's side) after the final fault: the time the controller was away is added to
      // every open obligation's deadline (liveness.ts, controllerBackAt).
      controllers.onFault = (kind, at, ms) => {
        const back = controllerBackAt(timings, { kind, at, ms }, controllers.scheduledStarts);
        for (const o of obligations) {
          if (o.met || at > o.deadline) continue;
          o.deadline += back - at;
          trace.add(`liveness: controller ${kind}: ${o.group}'s deadline moves to +${o.deadline - now} ms`);
        }
      };
      // An earlier controller fault whose outage runs past the final fault counts from the final fault.
      const pastOutage = Math.max(
        now,
        ...controllerFaults.map((f) => controllerBackAt(timings, f, controllers.scheduledStarts)),
      );
      for (const group of world.definition().groups) {
        const record = table.groups.get(group.id);
        if (options.liveness === false) continue;
        if (!record || record.status !== "online" || record.owner !== victim.id || !awsHealthy) continue;
        const recent = record.failovers.filter((t) => now - t < group.failover.periodMs);
        if (recent.length >= group.failover.threshold) continue;
        const others = group.preferredOwners.map(machine).filter(healthy);
        if (others.length === 0) continue;
        const agentIds = group.resources.filter(isAgentResource).map((r) => r.id);
        // A phase-one fault still armed (the next start or stop of one of the group's resources on a node
        // that may take it hangs 20..90 s, past its timeout): the promise does not hold, liveness is not judged.
        const armed = group.preferredOwners
          .map(machine)
          .filter(
            (m) =>
              m !== victim &&
              agentIds.some((id) => m.processes.hangNext.start.has(id) || m.processes.hangNext.stop.has(id)),
          );
        if (armed.length > 0) {
          trace.add(`liveness: ${group.id} not judged: a hang is still armed on ${armed.map((m) => m.id).join(", ")}`);
          continue;
        }
        const bound = livenessBoundMs(timings, group);
        const obligation = {
          group: group.id,
          owners: group.preferredOwners.filter((id) => id !== victim.id),
          agentIds,
          met: false,
          deadline: pastOutage + bound,
          bound,
        };
        obligations.push(obligation);
        trace.add(
          `liveness: ${group.id} must run on another preferred owner (healthy now: ${others.map((m) => m.id).join(", ")}) by +${obligation.deadline - now} ms`,
        );
        // The owner cut off one way whose agent is restarting, or restarted, into a boot that never has an
        // answer: its deadline counts from that boot's first heartbeat (liveness.ts, untoldOwnerDeadline), once.
        let untoldJudged = false;
        let heldJudged = false;
        const judge = (): void => {
          if (obligation.met) return;
          if (sched.now < obligation.deadline) return void sched.at(obligation.deadline, judge);
          if (!untoldJudged && final.how === "from-aws" && !victim.answeredThisBoot) {
            if (victim.restarting || !victim.agentAlive) return void sched.after(1_000, judge);
            untoldJudged = true;
            const bootHeardAt = table.nodes.get(victim.id)?.bootStartedAt ?? sched.now;
            const later = untoldOwnerDeadline(timings, group, bootHeardAt) - (pastOutage + bound);
            if (later > 0) {
              obligation.deadline += later;
              trace.add(
                `liveness: ${group.id}: ${victim.id}'s boot heard since +${bootHeardAt - now} ms never had an answer: deadline moves to +${obligation.deadline - now} ms`,
              );
              return void sched.at(obligation.deadline, judge);
            }
          }
          // Another preferred owner whose answers were lost (heartbeats arriving) while the bound ran (a strike on a
          // move, healed since): the controller cannot tell it from a healthy node and may choose it, and the move
          // waits until it hears its answers. The bound counts again from when the last such window healed.
          const deafUntil = Math.max(
            -Infinity,
            ...group.preferredOwners
              .map(machine)
              .filter((m) => m !== victim)
              .flatMap((m) => m.net.fromAws.filter(([a, b]) => b > now - 5_000 && a < obligation.deadline))
              .map(([, b]) => b),
          );
          if (deafUntil + bound > obligation.deadline) {
            obligation.deadline = deafUntil + bound;
            trace.add(
              `liveness: ${group.id}: another preferred owner's answers were lost until +${deafUntil - now} ms: deadline moves to +${obligation.deadline - now} ms`,
            );
            return void sched.at(obligation.deadline, judge);
          }
          const held = group.resources.flatMap((r) =>
            r.type === "ebs-volume"
              ? [...machines.values()].filter((m) => m.processes.heldElsewhereSince(r.volumeId, now))
              : [],
          );
          if (held.length > 0 && !heldJudged) {
            // A stop that lied (held-mount): the source confirmed its stop, so it is not fenced, and its volume's
            // detach stays busy until the controller's bound, when it fences the source (liveness.ts, heldDetachMs).
            heldJudged = true;
            obligation.deadline += heldDetachMs(timings);
            trace.add(
              `liveness: ${group.id}: its volume was held in another mount namespace after the final fault on ${held.map((m) => m.id).join(", ")}: deadline moves to +${obligation.deadline - now} ms`,
            );
            return void sched.at(obligation.deadline, judge);
          }
          if (table.lastFrozenAt >= now || table.guard?.frozen === true) {
            // The mass-failure guard froze after the final fault (several nodes silent at once): nothing moves
            // while it holds, by design (docs/safety.md §6), so the bound does not apply.
            trace.add(`liveness: ${group.id} not judged: the mass-failure guard froze after the final fault`);
            return;
          }
          const owner = table.groups.get(group.id)?.owner;
          oracle.violate(
            "liveness",
            `group ${group.id} is not running on another preferred owner ${sched.now - now} ms after ${victim.id} was lost (bound ${bound} ms; table owner ${owner ?? "-"}, status ${table.groups.get(group.id)?.status ?? "-"})`,
          );
        };
        sched.at(obligation.deadline, judge);
      }
      // The schedule ends a few seconds after every obligation is met (or 30 s after the fault when there is none).
      endAt = Math.min(endAt, now + 30_000);
      const poll = (): void => {
        for (const o of obligations) {
          const owner = table.groups.get(o.group)?.owner;
          // Any preferred owner but the lost one will do, a node that was not healthy when the final fault
          // struck (it has come back since) included: the group runs again.
          if (
            !o.met &&
            typeof owner === "string" &&
            o.owners.includes(owner) &&
            machine(owner).powered &&
            machine(owner).processes.runs(o.agentIds)
          ) {
            o.met = true;
            trace.add(`liveness: ${o.group} runs on ${owner}`);
          }
        }
        if (obligations.every((o) => o.met)) endAt = Math.min(endAt, Math.max(now + 30_000, sched.now + 5_000));
        else {
          endAt = SIM_START + schedule.durationMs;
          sched.after(500, poll);
        }
      };
      poll();
    });
  }

  await sched.run(SIM_START + schedule.durationMs, () => oracle.violations.length > 0 || sched.now >= endAt);
  return { violations: oracle.violations, trace, events: sched.events };
}
