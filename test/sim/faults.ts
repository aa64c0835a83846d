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
  | { readonly kind: "agent-pause"; readonly at: number; readonly node: string; readonly ms: number }
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
      /** agent-pause: only on a node whose every group is fenced (ClusterShape.pausable). */
      readonly how: "dies" | "to-aws" | "from-aws" | "both" | "agent-restart" | "agent-crash" | "agent-pause";
      readonly delayMs: number;
      readonly healMs: number;
    };

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
     */
    readonly stall?: { readonly atPermille: number; readonly ms: number };
  };
  /** Virtual time the schedule runs for (ms). */
  readonly durationMs: number;
}

export interface ClusterShape {
  readonly nodes: readonly string[];
  /** Nodes that may be paused longer than a lease: only those whose every group is fenced (see docs/simulation.md). */
  readonly pausable: readonly string[];
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
export function generateSchedule(rng: Prng, shape: ClusterShape, liveBoundMs: (final: boolean) => number): Schedule {
  const faults: Fault[] = [];
  const count = rng.int(0, 6);
  for (let i = 0; i < count; i++) {
    const at = T(rng, 3_000, 28_000);
    const until = Math.min(PHASE_ONE_END, at + rng.int(1_000, 30_000));
    const node = rng.pick(shape.nodes);
    const kind = rng.int(0, 16);
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
        if (shape.pausable.length > 0)
          faults.push({ kind: "agent-pause", at, node: rng.pick(shape.pausable), ms: rng.int(2_000, 25_000) });
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
      default:
        faults.push({ kind: "partition", at, until, node, direction: "from-aws" });
    }
  }
  faults.sort((a, b) => ("at" in a ? a.at : 0) - ("at" in b ? b.at : 0));
  if (rng.chance(0.6)) {
    const at = T(rng, 40_000, 55_000);
    const how = rng.pick(["dies", "to-aws", "from-aws", "both"] as const);
    const stall =
      (how === "to-aws" || how === "both") && rng.chance(0.7)
        ? { atPermille: rng.int(450, 950), ms: rng.int(300, 2_000) }
        : undefined;
    const final = { at, node: rng.pick(shape.nodes), how, ...(stall ? { stall } : {}) };
    return { seed: rng.int(0, 2 ** 31), faults, final, durationMs: at + liveBoundMs(true) + 1_000 };
  }
  return { seed: rng.int(0, 2 ** 31), faults, durationMs: 70_000 };
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case "controller-crash":
      return `controller invocation ${f.invocation} dies at its call ${f.call}`;
    case "controller-pause":
      return `controller invocation ${f.invocation} freezes ${f.ms} ms at its call ${f.call}`;
    case "strike-plan":
      return `${f.delayMs} ms after move #${f.nth} starts, its ${f.who}: ${f.how}${f.how.startsWith("agent") ? "" : ` for ${f.healMs} ms`}`;
    default: {
      const { kind, ...rest } = f;
      return `${kind} ${JSON.stringify(rest)}`;
    }
  }
}
