/**
 * The agent's clock (docs/agent.md, "Suspend"): monotonic milliseconds that also count the time the
 * machine spent suspended or hibernated.
 *
 * `performance.now()` is CLOCK_MONOTONIC, which stops while the machine is suspended: after a resume
 * the agent would believe it still holds a lease that ran out long ago. Linux's CLOCK_BOOTTIME counts
 * suspend, but Node has no API for it; `/proc/uptime` is that clock (10 ms grain). This clock is
 * `performance.now()` plus an offset that only grows: the largest `boottime − monotonic` seen so
 * far. It keeps the monotonic clock's precision, never goes back, and jumps forward by the time
 * spent suspended the first time it is read after a resume.
 *
 * Not the wall clock: NTP or an operator may step it either way, which would make the agent drop
 * its lease for nothing or miss a suspend.
 */
import { readFileSync } from "node:fs";
import type { MonotonicClock } from "./edges.js";

export interface ClockSources {
  /** CLOCK_MONOTONIC in milliseconds (`performance.now()`). */
  monotonicMs(): number;
  /** CLOCK_BOOTTIME in milliseconds, or undefined when it cannot be read. */
  bootTimeMs(): number | undefined;
}

/** Where Linux publishes CLOCK_BOOTTIME: "<seconds since boot, suspend included> <idle seconds>". */
const UPTIME_FILE = "/proc/uptime";

const SYSTEM_CLOCK_SOURCES: ClockSources = {
  monotonicMs: () => performance.now(),
  bootTimeMs: () => readUptimeMs(UPTIME_FILE),
};

/** The first field of /proc/uptime in milliseconds; undefined when the file is missing or unreadable. */
export function readUptimeMs(file: string): number | undefined {
  try {
    const seconds = Number(readFileSync(file, "utf8").split(" ")[0]);
    return Number.isFinite(seconds) ? seconds * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

export interface SuspendAwareClock extends MonotonicClock {
  /** False when boot time could not be read at creation: the clock is then monotonic only. */
  readonly countsSuspend: boolean;
}

export function createSuspendAwareClock(sources: ClockSources = SYSTEM_CLOCK_SOURCES): SuspendAwareClock {
  const first = sources.bootTimeMs();
  let offset = first === undefined ? 0 : first - sources.monotonicMs();
  return {
    countsSuspend: first !== undefined,
    now() {
      const monotonic = sources.monotonicMs();
      const boot = first === undefined ? undefined : sources.bootTimeMs();
      if (boot !== undefined) offset = Math.max(offset, boot - monotonic);
      return monotonic + offset;
    },
  };
}
