/** Timing that cannot be safe; the numbers are `TIMING_LIMITS`, explained in docs/definition.md. */
import { formatDuration } from "../../duration.js";
import { TIMING_LIMITS as L } from "../limits.js";
import type { Salvage } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

const f = formatDuration;

export function checkTiming({ timing }: Salvage): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const { heartbeatIntervalMs: heartbeat, leaseDurationMs: lease, controllerTickMs: tick } = timing;

  if (heartbeat !== undefined && (heartbeat < L.minHeartbeatIntervalMs || heartbeat > L.maxHeartbeatIntervalMs)) {
    problems.push({
      path: "timing.heartbeatInterval",
      message: `${f(heartbeat)} is out of range; use between ${f(L.minHeartbeatIntervalMs)} and ${f(L.maxHeartbeatIntervalMs)}.`,
    });
  }
  if (lease !== undefined && lease > L.maxLeaseDurationMs) {
    problems.push({
      path: "timing.leaseDuration",
      message: `${f(lease)} is too long: a dead node would keep its groups that long; use at most ${f(L.maxLeaseDurationMs)}.`,
    });
  }
  if (lease !== undefined && heartbeat !== undefined && lease < L.minLeaseHeartbeatRatio * heartbeat) {
    const least = L.minLeaseHeartbeatRatio * heartbeat;
    problems.push({
      path: "timing.leaseDuration",
      message: `${f(lease)} is shorter than ${L.minLeaseHeartbeatRatio} x heartbeatInterval (${L.minLeaseHeartbeatRatio} x ${f(heartbeat)} = ${f(least)}), so losing ${L.minLeaseHeartbeatRatio - 1} heartbeats in a row would lose the lease; make it at least ${f(least)}, or send heartbeats more often.`,
    });
  }
  if (tick !== undefined && (tick < L.minControllerTickMs || tick > L.maxControllerTickMs)) {
    problems.push({
      path: "timing.controllerTick",
      message: `${f(tick)} is out of range; use between ${f(L.minControllerTickMs)} and ${f(L.maxControllerTickMs)}.`,
    });
  } else if (tick !== undefined && lease !== undefined && tick > lease) {
    problems.push({
      path: "timing.controllerTick",
      message: `${f(tick)} is longer than leaseDuration (${f(lease)}), so a lease could expire unnoticed for a whole tick; make it at most ${f(lease)}.`,
    });
  }
  return problems;
}
