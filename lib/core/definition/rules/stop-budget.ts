/**
 * Self-fencing must fit in the lease: a node that stops hearing from the cluster stops each group's
 * agent-side resources one after another, each within its `stopTimeout`, and must be done before its
 * lease ends (docs/safety.md, `lib/core/self-fencing.ts`). A group whose stop budget the timing cannot
 * hold is refused, and so is a `stopTimeout` longer than the resource's `pendingTimeout`.
 */
import { formatDuration as f } from "../../duration.js";
import { agentMarginMs, groupStopBudgetMs, maxStopBudgetMs, TOLERATED_LOST_HEARTBEATS } from "../../self-fencing.js";
import { DEFAULTS, TIMING_LIMITS } from "../limits.js";
import { show } from "../messages.js";
import { formatPath } from "../path.js";
import type { Salvage, SalvagedGroup, SalvagedResource } from "../salvage.js";
import { type DefinitionProblem, isAgentResourceType, type Timing } from "../types.js";
import { checkTiming } from "./timing.js";

/** A duration the rule can use: the written value, the default when none was written, undefined when unreadable. */
function durationOf(resource: SalvagedResource, key: "stopTimeout" | "pendingTimeout"): number | undefined {
  if (resource[key] !== undefined) return resource[key];
  if (resource.writtenKeys.has(key)) return undefined;
  return key === "stopTimeout" ? DEFAULTS.stopTimeoutMs : DEFAULTS.pendingTimeoutMs;
}

function checkPendingTimeout(group: SalvagedGroup, resource: SalvagedResource): DefinitionProblem[] {
  const stop = resource.stopTimeout;
  const pending = durationOf(resource, "pendingTimeout");
  if (stop === undefined || pending === undefined || stop <= pending) return [];
  return [
    {
      path: formatPath(["groups", group.index, "resources", resource.index, "stopTimeout"]),
      message: `${f(stop)} is longer than the resource's pendingTimeout (${f(pending)}), after which a stop counts as failed anyway; make stopTimeout at most ${f(pending)}, or raise pendingTimeout.`,
    },
  ];
}

/**
 * The shortest lease in whole seconds, not shorter than `timing`'s, whose stop budget holds `budgetMs`;
 * undefined when even the longest lease allowed does not.
 */
export function leastLeaseForBudget(timing: Timing, budgetMs: number): number | undefined {
  const budgetAt = (leaseDurationMs: number) => maxStopBudgetMs({ ...timing, leaseDurationMs });
  // The budget grows with the lease (by at least 19/20 of each step), so a search from below ends soon.
  let lease = Math.max(timing.leaseDurationMs, budgetMs + (TOLERATED_LOST_HEARTBEATS + 2) * timing.heartbeatIntervalMs);
  while (budgetAt(lease) < budgetMs) lease += Math.max(1, Math.ceil(((budgetMs - budgetAt(lease)) * 20) / 19));
  let seconds = Math.ceil(lease / 1_000) * 1_000;
  while (seconds - 1_000 >= timing.leaseDurationMs && budgetAt(seconds - 1_000) >= budgetMs) seconds -= 1_000;
  return seconds <= TIMING_LIMITS.maxLeaseDurationMs ? seconds : undefined;
}

function checkGroupBudget(group: SalvagedGroup, timing: Timing): DefinitionProblem[] {
  const agentSide = group.resources.filter((resource) => isAgentResourceType(resource.type));
  const parts: { id: string; ms: number; written: boolean }[] = [];
  for (const resource of agentSide) {
    const ms = durationOf(resource, "stopTimeout");
    // An unreadable stopTimeout has its own problem; a budget guessed without it would mislead.
    if (ms === undefined) return [];
    parts.push({ id: resource.id ?? `resources[${resource.index}]`, ms, written: resource.stopTimeout !== undefined });
  }
  const budget = groupStopBudgetMs(parts.map((part) => part.ms));
  const allowed = maxStopBudgetMs(timing);
  if (budget <= allowed) return [];

  const name = group.id === undefined ? `groups[${group.index}]` : `group ${show(group.id)}`;
  const terms = parts.map(({ id, ms, written }) => `${id} ${f(ms)}${written ? "" : " (default)"}`);
  const sum = terms.length === 1 ? (terms[0] ?? "") : `${terms.join(" + ")} = ${f(budget)}`;
  const intervals = TOLERATED_LOST_HEARTBEATS + 2;
  const leaves = `leaseDuration ${f(timing.leaseDurationMs)} minus the ${f(agentMarginMs(timing))} margin minus ${intervals} heartbeat intervals (${f(intervals * timing.heartbeatIntervalMs)}) leaves ${f(allowed)}`;
  const lease = leastLeaseForBudget(timing, budget);
  const todo =
    lease === undefined
      ? `lower stopTimeout on these resources (even the longest lease, ${f(TIMING_LIMITS.maxLeaseDurationMs)}, leaves only ${f(maxStopBudgetMs({ ...timing, leaseDurationMs: TIMING_LIMITS.maxLeaseDurationMs }))})`
      : `raise timing.leaseDuration to at least ${f(lease)}, or lower stopTimeout on these resources`;
  return [
    {
      path: formatPath(["groups", group.index, "resources"]),
      message: `${name} needs ${f(budget)} to stop its resources one after another (${sum}), more than the timing allows: ${leaves}. A node cut off from the cluster must stop its groups before its lease ends (self-fencing); ${todo}.`,
    },
  ];
}

export function checkStopBudget(definition: Salvage): DefinitionProblem[] {
  const problems = definition.groups.flatMap((group) =>
    group.resources.flatMap((resource) =>
      isAgentResourceType(resource.type) ? checkPendingTimeout(group, resource) : [],
    ),
  );
  const { heartbeatIntervalMs, leaseDurationMs, controllerTickMs } = definition.timing;
  // A timing with its own problems gives no budget worth reporting against.
  const timingSound =
    heartbeatIntervalMs !== undefined &&
    leaseDurationMs !== undefined &&
    !checkTiming(definition).some((problem) => problem.path !== "timing.controllerTick");
  if (!timingSound) return problems;
  const timing: Timing = {
    heartbeatIntervalMs,
    leaseDurationMs,
    controllerTickMs: controllerTickMs ?? DEFAULTS.timing.controllerTickMs,
  };
  return [...problems, ...definition.groups.flatMap((group) => checkGroupBudget(group, timing))];
}
