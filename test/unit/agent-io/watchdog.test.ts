import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openWatchdog, WatchdogOpenError } from "../../../lib/agent/watchdog.js";
import { memoryLog, scratchDir } from "./support/fixtures.js";

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
});

afterEach(() => cleanup());

describe("the watchdog device", () => {
  it("is fed with a write per pet, and disarmed with the magic close 'V' only when asked", () => {
    // Prepare: a regular file stands for the device.
    const device = join(dir, "watchdog0");
    writeFileSync(device, "");
    const watchdog = openWatchdog(device, memoryLog(), join(dir, "sys"));
    // Act
    watchdog.pet();
    watchdog.pet();
    const fed = readFileSync(device, "utf8");
    watchdog.disarm();
    watchdog.pet(); // closed: nothing more is written
    // Assess
    expect(fed).toBe("11");
    expect(readFileSync(device, "utf8")).toBe("11V");
  });

  it("reads the device's timeout from sysfs, to check it against the lease", () => {
    // Prepare
    const device = join(dir, "watchdog0");
    writeFileSync(device, "");
    mkdirSync(join(dir, "sys", "watchdog0"), { recursive: true });
    writeFileSync(join(dir, "sys", "watchdog0", "timeout"), "8\n");
    // Act
    const watchdog = openWatchdog(device, memoryLog(), join(dir, "sys"));
    // Assess
    expect(watchdog.timeoutMs).toBe(8_000);
    watchdog.disarm();
  });

  it("says what to do when the device does not exist", () => {
    // Act
    const opening = () => openWatchdog(join(dir, "missing"), memoryLog(), join(dir, "sys"));
    // Assess
    expect(opening).toThrow(WatchdogOpenError);
    expect(opening).toThrow(/no such device; load a watchdog driver .*modprobe softdog/);
  });
});
