/** The schedules of one run: schedule i of seed S is drawn from its own stream, so any one replays alone. */
import { isAgentResource } from "../../lib/core/definition/types.js";
import { simDefinitions } from "./definitions.js";
import { generateSchedule, type ClusterShape, type Schedule } from "./faults.js";
import { heldDetachMs, livenessBoundMs } from "./liveness.js";
import { Prng, mix } from "./prng.js";

export function clusterShape(): ClusterShape {
  const [base] = simDefinitions();
  if (!base) throw new Error("no definition");
  return {
    nodes: base.nodes.map((n) => n.id),
    ec2Nodes: base.nodes.filter((n) => n.kind === "ec2").map((n) => n.id),
    groups: base.groups.map((g) => ({
      id: g.id,
      restartsFirst: g.resources.find(isAgentResource)?.type !== "mount",
      owners: g.preferredOwners,
      fenced: g.fencing === "stop-instance",
      mounts: g.resources.filter((r) => r.type === "mount").map((r) => r.id),
    })),
    resources: base.groups.flatMap((g) => g.resources.filter(isAgentResource).map((r) => r.id)),
    fencedResources: base.groups
      .filter((g) => g.fencing === "stop-instance")
      .flatMap((g) => g.resources.filter(isAgentResource).map((r) => r.id)),
    variants: simDefinitions().length,
  };
}

/** The longest liveness bound over every timing variant and group: how long a schedule with a final fault runs. */
function longestBound(): number {
  const definitions = simDefinitions();
  const timings = definitions.map((d) => d.timing);
  return Math.max(...definitions[0]!.groups.map((g) => livenessBoundMs(timings, g)));
}

/** Schedule `index` of `seed`; `without` leaves out faults of those kinds (to look past a known violation). */
export function scheduleFor(seed: number, index: number, without: readonly string[] = []): Schedule {
  const bound = longestBound();
  const held = heldDetachMs(simDefinitions().map((d) => d.timing));
  const schedule = generateSchedule(new Prng(mix(seed, `schedule-${index}`)), clusterShape(), (mounts) =>
    mounts ? bound + held : bound,
  );
  if (without.length === 0) return schedule;
  const faults = schedule.faults.filter((f) => !without.includes(f.kind));
  const final = schedule.final && !without.includes("final") ? schedule.final : undefined;
  return { ...schedule, faults, ...(final ? { final } : { final: undefined }) };
}
