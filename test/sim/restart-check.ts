/**
 * A `systemctl restart` by SIGUSR2 whose new boot is back in time must not move the node's groups
 * (docs/agent.md, "Restarting the agent": no fence, no volume, address or record moved, no failover). Judged
 * only where nothing else could explain a move, so that a violation is the restart's:
 * - the schedule's restarts by SIGUSR2 are at a time (not at a move), each with its new boot back within RestartSec
 *   and the node's start (at most 2 s after the control group is killed: well inside lease + grace) and no SIGTERM
 *   overtaking it; every other phase-one fault strikes another node (power, network, its agent, its resources) or
 *   the controller (which delays moves, never invents one): nothing else touches the restarted node, AWS, the
 *   timing (a deploy) or a move (strikes);
 * - a group judged is `online` on the restarted node, with no plan under way, when the SIGUSR2 comes, and that
 *   node is its first preferred owner (no failback can be due);
 * - until the final fault, or until the schedule's end when there is none, its epoch stays and its owner too.
 */
import type { Oracle } from "../../lib/sim/oracle.js";
import type { World } from "../../lib/sim/build-world.js";
import type { Fault, Schedule } from "./faults.js";

/** The latest new boot (after the control group is killed) that counts as back in time. */
export const ON_TIME_BOOT_MS = 2_000;

/** Faults that strike one node only (`node`; a held mount's trigger strikes the same node). */
const NODE_LOCAL = new Set<Fault["kind"]>([
  "node-dies",
  "node-returns",
  "partition",
  "slow-heartbeats",
  "lossy-heartbeats",
  "agent-crash",
  "agent-restart",
  "agent-pause",
  "held-mount",
  "resource-dies",
  "hang-next",
]);
const CONTROLLER = new Set<Fault["kind"]>(["controller-crash", "controller-pause", "extra-controller"]);

export function judgeUsr2Restarts(
  schedule: Schedule,
  world: Pick<World, "table" | "trace" | "definition">,
  oracle: Oracle,
  /** Runs `fn` at `t` ms of the schedule. */
  at: (t: number, fn: () => void) => void,
): void {
  const usr2 = schedule.faults.filter((f) => f.kind === "agent-usr2");
  const restarted = new Set(usr2.map((f) => f.node));
  const judged = schedule.faults.every((f) =>
    f.kind === "agent-usr2"
      ? f.usr2.sigtermAfterMs === undefined && f.usr2.bootDelayMs <= ON_TIME_BOOT_MS
      : CONTROLLER.has(f.kind) || (NODE_LOCAL.has(f.kind) && "node" in f && !restarted.has(f.node)),
  );
  if (!judged) return;
  const end = schedule.final?.at ?? schedule.durationMs - 1_000;
  for (const f of usr2) {
    at(f.at, () => {
      for (const group of world.definition().groups) {
        const before = world.table.groups.get(group.id);
        if (!before || before.status !== "online" || before.plan) continue;
        if (before.owner !== f.node || group.preferredOwners[0] !== f.node) continue;
        world.trace.add(
          `restart-moved: ${group.id} must stay on ${f.node} under epoch ${before.epoch} until +${end} ms`,
        );
        at(end, () => {
          const after = world.table.groups.get(group.id);
          if (after?.epoch === before.epoch && after.owner === f.node) return;
          oracle.violate(
            "restart-moved",
            `group ${group.id} moved after ${f.node}'s agent restarted by SIGUSR2 at +${f.at} ms, back in time: epoch ${before.epoch} -> ${after?.epoch ?? "-"}, owner ${f.node} -> ${after?.owner ?? "-"}`,
          );
        });
      }
    });
  }
}
