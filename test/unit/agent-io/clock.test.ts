import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSuspendAwareClock, readUptimeMs } from "../../../lib/agent/clock.js";
import { scratchDir } from "./support/fixtures.js";

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
});

afterEach(() => cleanup());

describe("the suspend-aware clock", () => {
  it("jumps forward by the time spent suspended, which the monotonic clock does not count", () => {
    // Prepare: monotonic 1 000 ms, boot time 5 000 ms.
    let monotonic = 1_000;
    let boot = 5_000;
    const clock = createSuspendAwareClock({ monotonicMs: () => monotonic, bootTimeMs: () => boot });
    const before = clock.now();
    // Act: 100 ms of running, then a 60 s suspend (boot time counts it, monotonic does not), then 10 ms.
    monotonic += 100;
    boot += 100;
    const running = clock.now();
    boot += 60_000;
    monotonic += 10;
    boot += 10;
    const resumed = clock.now();
    // Assess
    expect(running - before).toBe(100);
    expect(resumed - before).toBe(60_110);
  });

  it("keeps the monotonic clock's precision and never goes back when boot time is read coarsely", () => {
    // Prepare: boot time in 10 ms steps, as /proc/uptime gives it.
    let monotonic = 0;
    const clock = createSuspendAwareClock({
      monotonicMs: () => monotonic,
      bootTimeMs: () => Math.floor(monotonic / 10) * 10,
    });
    // Act
    const readings: number[] = [];
    for (monotonic = 0; monotonic < 50; monotonic += 3) readings.push(clock.now());
    // Assess
    expect(readings).toEqual([...readings].sort((a, b) => a - b));
    expect(readings[1]! - readings[0]!).toBe(3);
  });

  it("is monotonic only, and says so, when boot time cannot be read", () => {
    // Prepare
    let monotonic = 7;
    const clock = createSuspendAwareClock({ monotonicMs: () => monotonic, bootTimeMs: () => undefined });
    // Act
    monotonic = 19;
    // Assess
    expect(clock.countsSuspend).toBe(false);
    expect(clock.now()).toBe(19);
  });

  it("reads /proc/uptime's first field in milliseconds", () => {
    // Prepare
    const file = join(dir, "uptime");
    writeFileSync(file, "12345.67 54321.00\n");
    // Act & Assess
    expect(readUptimeMs(file)).toBeCloseTo(12_345_670, 3);
    expect(readUptimeMs(join(dir, "missing"))).toBeUndefined();
  });
});
