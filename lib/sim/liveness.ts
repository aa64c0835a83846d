/**
 * The liveness bound, written out here from the definition's numbers and the simulated world's own limits,
 * with the simulation's own formula (docs/safety.md, docs/simulation.md): it imports nothing of the core's
 * timing functions. When the owner of a settled group is lost for good at T, and every other node and AWS
 * are healthy, the group's agent resources must run on another preferred owner (its table owner) by T + bound.
 */
import type { GroupDefinition, Timing } from "../core/definition/types.js";

/** Limits of the simulated world (world/ec2.ts, processes.ts). */
export const WORLD_LIMITS = {
  /** A StopInstances takes up to 15 s to show `stopped` (a powered-off machine: 3 s). */
  stopMs: 15_000,
  detachMs: 8_000,
  attachMs: 5_000,
  /** A describe may show the state of up to 2 s ago; an API call takes up to ~0.3 s. */
  describeLagMs: 2_300,
  /** Most starts take up to 1.5 s, some up to 6 s. */
  startMs: 6_000,
  /** Heartbeat legs, both ways. */
  heartbeatTripMs: 200,
  /** A scheduled invocation stops starting passes tick + 2 s before the next, which may start 1.5 s late. */
  invocationGapMs: 5_500,
  /** Clock offsets between Lambda hosts (±50 ms each) and rounding. */
  clockMs: 200,
} as const;

function numbers(timings: readonly Timing[]) {
  const lease = Math.max(...timings.map((t) => t.leaseDurationMs));
  const interval = Math.max(...timings.map((t) => t.heartbeatIntervalMs));
  const tick = Math.max(...timings.map((t) => t.controllerTickMs));
  return { lease, interval, tick, grace: Math.max(2_000, lease / 5) };
}

export function livenessBoundMs(timings: readonly Timing[], group: GroupDefinition): number {
  const { lease, interval, tick, grace } = numbers(timings);
  const W = WORLD_LIMITS;
  // Detection: a silent owner is down lease + grace after its last heartbeat was received; a one-way cut
  // owner (answers lost) has stopped and says so by lease + two intervals. Then the next pass, which may
  // fall in the gap between two invocations.
  const detect =
    Math.max(lease + grace, lease + 2 * interval + W.heartbeatTripMs) + tick + W.invocationGapMs + W.clockMs;
  return detect + planMs(timings, group);
}

/**
 * An owner cut off one way (its answers lost) whose agent is in a boot that never had an answer (it was
 * restarting, or had just restarted, when the cut came): that boot has been told nothing of the group and runs
 * nothing of it, and says so only by never naming it. Counted from the first heartbeat of that boot (`bootHeardAt`,
 * as the table recorded it): the boot is given lease + grace to be told of its groups, then the next pass moves
 * the group, and the move waits for one more report of that boot (an interval, a trip, a pass) before the plan's
 * steps. Returns the deadline (virtual time).
 */
export function untoldOwnerDeadline(timings: readonly Timing[], group: GroupDefinition, bootHeardAt: number): number {
  const { lease, interval, tick, grace } = numbers(timings);
  const W = WORLD_LIMITS;
  const detect = lease + grace + tick + W.invocationGapMs + W.clockMs;
  const laterReport = interval + W.heartbeatTripMs + tick;
  return bootHeardAt + detect + laterReport + planMs(timings, group);
}

/** The plan's own steps, from the world's limits: zone check, fence, volumes, then each agent resource. */
function planMs(timings: readonly Timing[], group: GroupDefinition): number {
  const { interval, tick } = numbers(timings);
  const W = WORLD_LIMITS;
  const step = tick + W.describeLagMs;
  let plan = 0;
  const volumes = group.resources.filter((r) => r.type === "ebs-volume").length;
  if (volumes > 0) plan += step; // volume zone check
  if (group.fencing === "stop-instance") plan += W.stopMs + step; // fence
  plan += volumes * (W.detachMs + step + W.attachMs + step);
  // Each agent resource: the answer tells the owner (one interval), it starts, it reports (one interval), a pass sees it.
  const agentResources = group.resources.filter(
    (r) => r.type === "mount" || r.type === "systemd" || r.type === "command",
  );
  plan += agentResources.length * (2 * interval + 2 * W.heartbeatTripMs + W.startMs + tick);
  return plan;
}

/**
 * A stop that lied on the move's source (`held-mount`: a mount still held in another mount namespace, so the
 * volume's detach stays `busy`), which confirmed its stop and so was not fenced: the controller waits for the
 * detach up to its documented bound (60 s, docs/safety.md §3), then a pass (a tick, a describe's lag) fences the
 * source (the world's stop), and the detach, which the stopped instance lets go, is observed again. Added once to
 * the deadline of a group whose volume was held after the final fault.
 */
export function heldDetachMs(timings: readonly Timing[]): number {
  const { tick } = numbers(timings);
  const W = WORLD_LIMITS;
  const step = tick + W.describeLagMs;
  const busyBoundMs = 60_000;
  return busyBoundMs + step + (W.stopMs + step) + (W.detachMs + step);
}

/**
 * A controller fault (an invocation that dies, or freezes, at time `at`) is AWS's side: the bound is judged
 * without the time the controller was away. A dead invocation holds the controller lease until it runs out
 * and no other runs until the next scheduled one starts; a frozen one holds it while frozen (it may then
 * find it taken, or end). So the controller acts again by `max(back, next scheduled start after at) + the
 * controller lease + a tick`, with `back` = `at` (dies) or `at + ms` (freezes), and the controller lease
 * `max(15 s, 2·tick + 5 s)` as docs/safety.md §4 defines it. Returns that time.
 */
export function controllerBackAt(
  timings: readonly Timing[],
  fault: { readonly kind: "crash" | "pause"; readonly at: number; readonly ms: number },
  scheduledStarts: readonly number[],
): number {
  const tick = Math.max(...timings.map((t) => t.controllerTickMs));
  const controllerLease = Math.max(15_000, 2 * tick + 5_000);
  const back = fault.kind === "crash" ? fault.at : fault.at + fault.ms;
  const next = scheduledStarts.find((s) => s > fault.at) ?? Infinity;
  return Math.max(back, next) + controllerLease + tick;
}
