/**
 * A schedule: a seed for the world's own randomness (latencies, durations, describe lag) and a list of
 * faults at given virtual times. Phase 1 (the first ~45 s) mixes faults that all heal; an optional final
 * fault then takes one node away for good, and the liveness bound is checked after it.
 */
import type { Prng } from "./prng.js";

export type Fault =
  | { readonly kind: "node-dies"; readonly at: number; readonly node: string }
  | { readonly kind: "node-returns"; readonly at: number; readonly node: string }
  | {
      readonly kind: "partition";
      readonly at: number;
      readonly until: number;
      readonly node: string;
      /** to-aws: heartbeats lost; from-aws: answers lost; both. */
      readonly direction: "to-aws" | "from-aws" | "both";
    }
  | {
      readonly kind: "slow-heartbeats" | "lossy-heartbeats";
      readonly at: number;
      readonly until: number;
      readonly node: string;
    }
  | { readonly kind: "agent-crash" | "agent-restart"; readonly at: number; readonly node: string }
  /**
   * `systemctl restart baton-agent` with the unit's RestartKillSignal=SIGUSR2 (docs/agent.md, "Restarting the
   * agent"): the agent stops its resources without leaving; at its exit systemd kills the control group and starts a
   * new agent `usr2.bootDelayMs` later (RestartSec 1 s, plus node's start; late: past lease + grace, so the node is
   * silent and its groups fail over). `usr2.sigtermAfterMs`: a SIGTERM reaches the agent that long after the
   * SIGUSR2, while it stops (`systemctl kill`, a shutdown script), which makes the restart a leave.
   */
  | { readonly kind: "agent-usr2"; readonly at: number; readonly node: string; readonly usr2: Usr2 }
  /** Only while the node runs nothing of a group that is not fenced (checked when it strikes: docs/simulation.md). */
  | { readonly kind: "agent-pause"; readonly at: number; readonly node: string; readonly ms: number }
  /**
   * A stop that lies: the next unmount of `resource` (a mount) on `node` succeeds in the agent's mount namespace
   * while another namespace (a container, a unit with PrivateMounts= whose process the service's stop did not
   * end) still has the filesystem mounted and in use, for `holdMs`. The agent's check sees it unmounted.
   */
  | {
      readonly kind: "held-mount";
      readonly at: number;
      readonly node: string;
      readonly resource: string;
      readonly holdMs: number;
    }
  | { readonly kind: "resource-dies"; readonly at: number; readonly node: string; readonly resource: string }
  | {
      readonly kind: "hang-next";
      readonly at: number;
      readonly node: string;
      readonly resource: string;
      readonly op: "start" | "stop";
    }
  | { readonly kind: "controller-crash"; readonly invocation: number; readonly call: number }
  | { readonly kind: "controller-pause"; readonly invocation: number; readonly call: number; readonly ms: number }
  | { readonly kind: "extra-controller"; readonly at: number; readonly passes: number }
  | {
      readonly kind: "throttle-storm" | "sticky-stop" | "sticky-detach" | "lost-answers";
      readonly at: number;
      readonly until: number;
    }
  | { readonly kind: "deploy"; readonly at: number; readonly variant: number }
  /**
   * Reactive: when the `nth` new plan (a move, counted from the start) is written, after `delayMs`, strike its
   * target or source: power off (back after `healMs`), cut it off one way or both (for `healMs`), or restart
   * or crash its agent. Moves are where the protocol is most exposed, and random times rarely hit them.
   */
  | {
      readonly kind: "strike-plan";
      readonly nth: number;
      readonly who: "target" | "source";
      /** agent-pause: only while the node runs nothing of a group that is not fenced (checked when it strikes). */
      readonly how:
        "dies" | "to-aws" | "from-aws" | "both" | "agent-restart" | "agent-crash" | "agent-pause" | "agent-usr2";
      /** `agent-usr2` (drawn on its own stream): the restart's timing, as for the `agent-usr2` fault. */
      readonly usr2?: Usr2;
      readonly delayMs: number;
      readonly healMs: number;
      /**
       * A live source's stops of this move are slow (a checkpoint, a flush): each takes 60..95 % of the timeout
       * it runs with (at most 30 s), as a slow stop may; so the source is still stopping when the strike lands.
       */
      readonly slowSourceStop?: boolean;
      /** Count only the moves of this group (`nth` move of it). */
      readonly group?: string;
    }
  /**
   * Reactive: when the `nth` move of `group` begins from a live source, the process of the group's first agent
   * resource (the one that stops last) dies on that source `crashDelayMs` later, and the source's answers are lost
   * from the move's write for `deafMs` (its heartbeats arrive). Its agent notices at its next check and restarts
   * the resource locally, under the epoch it knows, before it hears of the move. An agent of the second model
   * (`Schedule.offlineOnExit`) reports the resource `offline` from the exit until the restart begins: a report made
   * before the agent learned of the move, received after the move began (docs/protocol.md, Epochs).
   */
  | {
      readonly kind: "crash-in-move";
      readonly nth: number;
      readonly group: string;
      readonly crashDelayMs: number;
      readonly deafMs: number;
    };

/** A SIGUSR2 restart's timing (the `agent-usr2` fault). */
export interface Usr2 {
  readonly bootDelayMs: number;
  readonly sigtermAfterMs?: number;
}

export interface Schedule {
  readonly seed: number;
  readonly faults: readonly Fault[];
  /** The final fault, checked for liveness; absent: safety only. */
  readonly final?: {
    readonly at: number;
    readonly node: string;
    readonly how: "dies" | "to-aws" | "from-aws" | "both";
    /**
     * A node cut off from AWS: its agent stalls (a garbage collection, a CPU-starved VM) for `ms` (0.3..2 s),
     * starting at `atPermille`/1000 of the lease after the final fault, where its self-fencing stops begin. The
     * design tolerates stalls up to grace + margin (about 2.4 s with a 10 s lease: docs/safety.md §2); this is
     * what the takeover grace and the agent's margin are for, so their mutants must fail here.
     * `atFenceStart`: instead, the machine (the agent and the programs it runs) stalls as its self-fencing stop is
     * issued, whenever the agent issues it, so the whole stall delays that stop, and that stop is slow (80..95 %
     * of its stopTimeout): the boundary the two margins are there for. It lasts `tolerancePermille`/1000 (850..1000)
     * of what the design tolerates, grace + margin − 100 ms of Lambda clock error (2.4 s with a 10 s lease; `ms`
     * is then unused). The victim's last heartbeat and the takeover target's next one are aimed at a controller
     * pass (run-schedule.ts).
     */
    readonly stall?: {
      readonly atPermille: number;
      readonly ms: number;
      readonly atFenceStart?: boolean;
      readonly tolerancePermille?: number;
    };
  };
  /**
   * Where groups run when the schedule begins, when not on their first preferred owner: a cluster after earlier
   * failovers, so a failback is due (30 s after the preferred owner's first heartbeat).
   */
  readonly initialOwners?: Readonly<Record<string, string>>;
  /**
   * EC2 nodes on a platform where a detach of a volume the OS still has in use goes through (Nitro: the OS is
   * told, the volume leaves under the running system); on the others it stays `busy` until the OS lets go (Xen).
   */
  readonly detachGoesThrough?: readonly string[];
  /**
   * Nodes whose agent is of the second model docs/protocol.md allows: the reference agent's decisions, but it
   * reports a resource whose process has exited `offline` from the exit until its local restart begins (a
   * supervisor that watches its children's exit, like systemd's `Restart=` with `RestartSec=`), under the epoch
   * it acts under. The reference agent notices only at its next check and reports it `online` until then.
   */
  readonly offlineOnExit?: readonly string[];
  /** Virtual time the schedule runs for (ms). */
  readonly durationMs: number;
}

export interface GroupShape {
  readonly id: string;
  /** Its first agent resource (the one that stops last) is not a mount: its process can die and be restarted. */
  readonly restartsFirst: boolean;
  readonly owners: readonly string[];
  readonly fenced: boolean;
  /** Its `mount` resources. */
  readonly mounts: readonly string[];
}

export interface ClusterShape {
  readonly nodes: readonly string[];
  readonly ec2Nodes: readonly string[];
  readonly groups: readonly GroupShape[];
  /** Agent resources. */
  readonly resources: readonly string[];
  /** Agent resources of groups fenced by stop-instance: the only ones whose stop may hang (docs/simulation.md). */
  readonly fencedResources: readonly string[];
  /** Timing variants a deploy may switch to (index into the world's list). */
  readonly variants: number;
}

export const PHASE_ONE_END = 35_000;
const T = (rng: Prng, from: number, to: number): number => rng.int(from, to);

/** Draws a schedule of 0..6 phase-one faults and, 60 % of the time, a final one. */
export function generateSchedule(
  rng: Prng,
  shape: ClusterShape,
  /** How long after the final fault liveness may be judged; `held`: a held mount may add its wait. */
  liveBoundMs: (held: boolean) => number,
): Schedule {
  const faults: Fault[] = [];
  // 40 %: the cluster after earlier failovers, each group on another of its preferred owners half the time.
  const initialOwners: Record<string, string> = {};
  if (rng.chance(0.4)) {
    for (const g of shape.groups) if (rng.chance(0.6)) initialOwners[g.id] = rng.pick(g.owners.slice(1));
  }
  const detachGoesThrough = shape.ec2Nodes.filter(() => rng.chance(0.5));
  // Drawn from their own stream, so that every other draw (and so every schedule without them) stays as it was.
  const second = rng.fork("agent-models");
  const offlineOnExit = second.chance(0.5) ? shape.nodes.filter(() => second.chance(0.5)) : [];
  const crashInMove: Fault[] = [];
  const restartable = shape.groups.filter((g) => g.restartsFirst && g.owners.length > 1);
  if (restartable.length > 0 && second.chance(0.3)) {
    // A local restart on the source of a move, before it hears of the move: a failback from a live owner is made
    // due (the group starts on another of its preferred owners) so that such a move comes about 30 s in.
    const g = second.pick(restartable);
    if (second.chance(0.7)) initialOwners[g.id] = second.pick(g.owners.slice(1));
    crashInMove.push({
      kind: "crash-in-move",
      nth: second.int(1, 2),
      group: g.id,
      crashDelayMs: second.int(0, 1_500),
      deafMs: second.int(4_000, 12_000),
    });
  }
  const ownerAtStart = (g: GroupShape): string => initialOwners[g.id] ?? g.owners[0]!;
  // SIGUSR2 restarts, drawn from their own stream too: a schedule's other faults stay as they were.
  const usr2 = rng.fork("agent-usr2");
  const usr2Timing = (): Usr2 => {
    // Back after RestartSec (1 s) and the node's start; 25 %: late, past lease + grace (a slow start, a start job
    // queued behind others), so that the node is silent and its groups fail over.
    const bootDelayMs = usr2.chance(0.25) ? usr2.int(13_000, 25_000) : usr2.int(1_000, 1_600);
    // 20 %: a SIGTERM overtakes the restart while the agent stops (its stops take 50..700 ms mostly).
    return usr2.chance(0.2) ? { bootDelayMs, sigtermAfterMs: usr2.int(0, 1_500) } : { bootDelayMs };
  };
  const restarts: Fault[] = [];
  if (usr2.chance(0.35)) {
    for (let i = usr2.int(1, 2); i > 0; i--) {
      const timing = usr2Timing();
      // 40 %: when a move starts, on its source or target (random times rarely land inside a move); half of those on
      // a live source land while it stops slowly (within its timeout), stops the restart must wait for.
      if (usr2.chance(0.4)) {
        const who = usr2.pick(["target", "source"] as const);
        const slow = who === "source" && usr2.chance(0.5);
        // Half the time the failback of a group that starts away from its first preferred owner (due about 30 s in).
        const due = shape.groups.filter((g) => initialOwners[g.id] !== undefined);
        const group = due.length > 0 && usr2.chance(0.5) ? usr2.pick(due).id : undefined;
        restarts.push({
          kind: "strike-plan",
          nth: group ? 1 : usr2.int(1, 3),
          ...(group ? { group } : {}),
          who,
          how: "agent-usr2",
          delayMs: slow ? usr2.int(500, 4_000) : usr2.chance(0.3) ? 0 : usr2.int(0, 10_000),
          healMs: 0,
          usr2: timing,
          ...(slow ? { slowSourceStop: true } : {}),
        });
      } else {
        // A late boot is back by the end of phase one (unless its stops are slow).
        const latest = Math.min(28_000, PHASE_ONE_END - timing.bootDelayMs - 2_000);
        // 70 %: a node that runs a group (the restart stops and starts something).
        const node = usr2.chance(0.7) ? usr2.pick(shape.groups.map(ownerAtStart)) : usr2.pick(shape.nodes);
        restarts.push({ kind: "agent-usr2", at: T(usr2, 3_000, latest), node, usr2: timing });
      }
    }
  }
  let held = false;
  const count = rng.int(0, 6);
  for (let i = 0; i < count; i++) {
    const at = T(rng, 3_000, 28_000);
    const until = Math.min(PHASE_ONE_END, at + rng.int(1_000, 30_000));
    const node = rng.pick(shape.nodes);
    const kind = rng.int(0, 20);
    switch (kind) {
      case 0:
        faults.push({ kind: "node-dies", at, node }, { kind: "node-returns", at: until, node });
        break;
      case 1:
      case 2:
        faults.push({
          kind: "partition",
          at,
          until,
          node,
          direction: rng.pick(["to-aws", "from-aws", "both"] as const),
        });
        break;
      case 3:
        faults.push({ kind: rng.pick(["slow-heartbeats", "lossy-heartbeats"] as const), at, until, node });
        break;
      case 4:
        faults.push({ kind: rng.pick(["agent-crash", "agent-restart"] as const), at, node });
        break;
      case 5:
        faults.push({ kind: "agent-pause", at, node, ms: rng.int(2_000, 25_000) });
        break;
      case 6:
        faults.push({ kind: "resource-dies", at, node, resource: rng.pick(shape.resources) });
        break;
      case 7:
        if (rng.chance(0.5) || shape.fencedResources.length === 0)
          faults.push({ kind: "hang-next", at, node, resource: rng.pick(shape.resources), op: "start" });
        else faults.push({ kind: "hang-next", at, node, resource: rng.pick(shape.fencedResources), op: "stop" });
        break;
      case 8:
      case 9:
        faults.push({ kind: "controller-crash", invocation: rng.int(0, 1), call: rng.int(0, 120) });
        break;
      case 10:
        faults.push({
          kind: "controller-pause",
          invocation: rng.int(0, 1),
          call: rng.int(0, 120),
          ms: rng.int(16_000, 60_000),
        });
        break;
      case 11:
        faults.push({ kind: "extra-controller", at, passes: rng.int(3, 20) });
        break;
      case 12:
        faults.push({
          kind: rng.pick(["throttle-storm", "sticky-stop", "sticky-detach", "lost-answers"] as const),
          at,
          until,
        });
        break;
      case 13:
        faults.push({ kind: "deploy", at, variant: rng.int(0, shape.variants - 1) });
        break;
      case 14:
      case 15:
        faults.push({
          kind: "strike-plan",
          nth: rng.int(1, 3),
          who: rng.pick(["target", "source"] as const),
          how: rng.pick(["dies", "to-aws", "from-aws", "both", "agent-restart", "agent-crash", "agent-pause"] as const),
          delayMs: rng.chance(0.3) ? 0 : rng.int(0, 15_000),
          healMs: rng.int(5_000, 40_000),
        });
        break;
      case 16:
      case 17: {
        // A move from a live source that is still stopping (slowly, within its timeout) when its target is lost:
        // the plan that replaces it must still wait for that source. Or the source's agent hangs in the middle
        // of its stops, its mount still up, and it falls silent before confirming.
        const source = rng.chance(0.5);
        // A hung agent on a fenced group's node (the controller fences it); a replacement towards a third node.
        const groups = shape.groups.filter((g) => (source ? g.fenced : g.owners.length >= 3));
        if (groups.length === 0) break;
        faults.push({
          kind: "strike-plan",
          nth: rng.int(1, 2),
          group: rng.pick(groups).id,
          who: source ? "source" : "target",
          how: source ? "agent-pause" : rng.pick(["dies", "to-aws", "both"] as const),
          delayMs: rng.int(0, source ? 3_000 : 2_000),
          healMs: rng.int(20_000, 40_000),
          slowSourceStop: true,
        });
        break;
      }
      case 18: {
        // A stop that lies, on a node whose platform keeps a detach of a volume in use `busy` (see Schedule),
        // then something that makes the node give up its group on its own word: a restart (it leaves), answers
        // lost (it self-fences and reports fenced), or nothing more (a failback away from it, if due).
        const nodes = shape.groups
          .filter((g) => g.mounts.length > 0)
          .flatMap((g) => g.owners.filter((n) => shape.ec2Nodes.includes(n) && !detachGoesThrough.includes(n)));
        const g = shape.groups.find((x) => x.mounts.length > 0);
        if (nodes.length === 0 || !g) break;
        const victim = rng.chance(0.7) && nodes.includes(ownerAtStart(g)) ? ownerAtStart(g) : rng.pick(nodes);
        held = true;
        faults.push({
          kind: "held-mount",
          at,
          node: victim,
          resource: rng.pick(g.mounts),
          holdMs: rng.int(70_000, 180_000),
        });
        const then = at + rng.int(0, 3_000);
        const trigger = rng.int(0, 2);
        // The restart: half the time with SIGUSR2 (the new boot takes the group back here, the held mount still
        // up in the other namespace; or, if late, the group fails over from a silent node).
        if (trigger === 0 && usr2.chance(0.5))
          faults.push({ kind: "agent-usr2", at: then, node: victim, usr2: usr2Timing() });
        else if (trigger === 0) faults.push({ kind: "agent-restart", at: then, node: victim });
        if (trigger === 1)
          faults.push({
            kind: "partition",
            at: then,
            until: Math.min(PHASE_ONE_END, then + rng.int(12_000, 25_000)),
            node: victim,
            direction: "from-aws",
          });
        break;
      }
      default:
        faults.push({ kind: "partition", at, until, node, direction: "from-aws" });
    }
  }
  faults.push(...crashInMove, ...restarts);
  faults.sort((a, b) => ("at" in a ? a.at : 0) - ("at" in b ? b.at : 0));
  const world = {
    ...(offlineOnExit.length > 0 ? { offlineOnExit } : {}),
    ...(Object.keys(initialOwners).length > 0 ? { initialOwners } : {}),
    ...(detachGoesThrough.length > 0 ? { detachGoesThrough } : {}),
  };
  // A held mount lets go after 70..180 s: long enough a run to see a detach that waits for it (60 s) forced.
  const minimum = held ? 110_000 : 0;
  if (rng.chance(0.6)) {
    const at = T(rng, 40_000, 55_000);
    const how = rng.pick(["dies", "to-aws", "from-aws", "both"] as const);
    const cutOff = how === "to-aws" || how === "both";
    // Half of the cut-offs strike the owner of a group that is not fenced (the lease alone protects it) at the
    // boundary: a stall that delays its self-fencing stop as much as the model allows.
    const edge = cutOff && rng.chance(0.5);
    const unfenced = shape.groups.filter((g) => !g.fenced).map(ownerAtStart);
    const stall = edge
      ? { atPermille: 0, ms: 0, atFenceStart: true, tolerancePermille: rng.int(950, 1_000) }
      : cutOff && rng.chance(0.7)
        ? { atPermille: rng.int(450, 950), ms: rng.int(300, 2_000) }
        : undefined;
    const node = edge && unfenced.length > 0 ? rng.pick(unfenced) : rng.pick(shape.nodes);
    const final = { at, node, how, ...(stall ? { stall } : {}) };
    // A strike's answers-lost window on another preferred owner may heal up to 40 s after the final fault, and the
    // liveness bound then counts from its end (run-schedule.ts).
    const deafAfter = faults.some(
      (f) => f.kind === "crash-in-move" || (f.kind === "strike-plan" && (f.how === "from-aws" || f.how === "both")),
    )
      ? 40_000
      : 0;
    const durationMs = Math.max(minimum, at + deafAfter + liveBoundMs(held) + 1_000);
    return { seed: rng.int(0, 2 ** 31), faults, final, durationMs, ...world };
  }
  return { seed: rng.int(0, 2 ** 31), faults, durationMs: Math.max(minimum, 70_000), ...world };
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case "controller-crash":
      return `controller invocation ${f.invocation} dies at its call ${f.call}`;
    case "controller-pause":
      return `controller invocation ${f.invocation} freezes ${f.ms} ms at its call ${f.call}`;
    case "strike-plan":
      return `${f.delayMs} ms after move #${f.nth}${f.group ? ` of ${f.group}` : ""} starts, its ${f.who}: ${f.how}${f.how === "agent-pause" ? ` ${f.healMs} ms` : f.how.startsWith("agent") ? "" : ` for ${f.healMs} ms`}${f.usr2 ? ` ${describeUsr2(f.usr2)}` : ""}${f.slowSourceStop ? " (its live source stops slowly)" : ""}`;
    case "agent-usr2":
      return `agent-usr2 on ${f.node} at ${f.at} ms ${describeUsr2(f.usr2)}`;
    case "crash-in-move":
      return `move #${f.nth} of ${f.group} from a live source: its answers lost for ${f.deafMs} ms, its first resource's process dies ${f.crashDelayMs} ms in`;
    default: {
      const { kind, ...rest } = f;
      return `${kind} ${JSON.stringify(rest)}`;
    }
  }
}

function describeUsr2(u: Usr2): string {
  return `(next boot ${u.bootDelayMs} ms after the control group is killed${u.sigtermAfterMs === undefined ? "" : `; a SIGTERM ${u.sigtermAfterMs} ms after the SIGUSR2`})`;
}
