/**
 * Shrinking: drop the final fault, then each phase-one fault in turn, keeping every removal after which the
 * schedule still fails; the result is the smallest schedule found that still shows a violation.
 */
import type { Schedule } from "./faults.js";
import { runSchedule, type RunOptions, type ScheduleResult } from "./run-schedule.js";

const MAX_RUNS = 80;

export async function shrink(
  schedule: Schedule,
  options: RunOptions = {},
): Promise<{ schedule: Schedule; result: ScheduleResult; runs: number }> {
  let best = schedule;
  let result = await runSchedule(best, options);
  let runs = 1;
  if (result.violations.length === 0) return { schedule, result, runs };
  const attempt = async (candidate: Schedule): Promise<boolean> => {
    if (runs >= MAX_RUNS) return false;
    runs++;
    const r = await runSchedule(candidate, options);
    if (r.violations.length === 0) return false;
    best = candidate;
    result = r;
    return true;
  };
  if (best.final && result.violations[0]?.kind !== "liveness") {
    const { final: _final, ...rest } = best;
    await attempt(rest);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let i = best.faults.length - 1; i >= 0; i--) {
      if (await attempt({ ...best, faults: best.faults.filter((_, j) => j !== i) })) changed = true;
    }
  }
  return { schedule: best, result, runs };
}
