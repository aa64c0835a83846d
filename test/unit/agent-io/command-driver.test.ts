import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CommandSpec } from "../../../lib/core/agent/spec.js";
import { driverFor } from "../../../lib/agent/drivers/index.js";
import { ResourceActionError } from "../../../lib/agent/edges.js";
import { fixture, memoryLog, recordedCalls, scratchDir } from "./support/fixtures.js";

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
  vi.stubEnv("BATON_FIXTURE_CALLS", join(dir, "calls"));
});

afterEach(() => {
  vi.unstubAllEnvs();
  cleanup();
});

function spec(start: string[], stop: string[], check: string[]): CommandSpec {
  return {
    type: "command",
    id: "report-svc",
    start,
    stop,
    check,
    dependsOn: [],
    pendingTimeoutMs: 60_000,
    stopTimeoutMs: 60_000,
    restart: { threshold: 0, periodMs: 0 },
  };
}

const exitWith = (code: number, ...args: string[]) => [fixture("exit-with.sh"), String(code), ...args];

describe("the command driver", () => {
  it.each([
    ["a start that fails", [fixture("noisy.sh"), "8000"], "error"],
    ["a start that succeeds", ["/bin/sh", "-c", "head -c 8000 /dev/zero | tr '\\0' x; echo END"], "info"],
  ])("logs the output of %s at debug only, its last 2 KiB", async (_what, start, level) => {
    // Prepare
    const log = memoryLog();
    const driver = driverFor(spec(start, exitWith(0, "stop"), exitWith(0, "check")), log);
    // Act
    await driver.start(10_000).catch(() => undefined);
    // Assess: the outcome at info (or error) without the output; the output at debug, capped.
    const outcome = log.entries.filter((entry) => entry.level === level);
    expect(outcome).toHaveLength(1);
    expect(outcome[0]?.attributes).not.toHaveProperty("stdout");
    expect(outcome[0]?.attributes).not.toHaveProperty("stderr");
    const debug = log.entries.filter((entry) => entry.level === "debug");
    expect(debug).toHaveLength(1);
    const output = String(debug[0]?.attributes.stdout ?? debug[0]?.attributes.stderr);
    expect(output).toMatch(/xEND\n$/);
    expect(Buffer.byteLength(output)).toBe(2 * 1024);
  });

  it("runs the definition's start, stop and check programs with their arguments, without a shell", async () => {
    // Prepare
    const marker = join(dir, "pwned");
    const tricky = `$(touch ${marker})`;
    const driver = driverFor(
      spec(exitWith(0, "start", tricky), exitWith(0, "stop"), exitWith(0, "check")),
      memoryLog(),
    );
    // Act
    await driver.start(5_000);
    const healthy = await driver.check(5_000);
    await driver.stop(5_000);
    // Assess
    expect(healthy).toBe(true);
    expect(recordedCalls(join(dir, "calls"))).toEqual([
      ["exit-with.sh", "0", "start", tricky],
      ["exit-with.sh", "0", "check"],
      ["exit-with.sh", "0", "stop"],
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it("is unhealthy when the check exits non-zero, quietly (a stopped resource fails its check every beat)", async () => {
    // Prepare
    const log = memoryLog();
    const driver = driverFor(spec(exitWith(0), exitWith(0), exitWith(1, "check")), log);
    // Act
    const healthy = await driver.check(5_000);
    // Assess
    expect(healthy).toBe(false);
    expect(log.entries.filter((entry) => entry.level !== "debug")).toEqual([]);
  });

  it("is unhealthy, and says so in the log, when the check times out", async () => {
    // Prepare
    const log = memoryLog();
    const driver = driverFor(spec(exitWith(0), exitWith(0), [fixture("process-tree.sh"), join(dir, "pids")]), log);
    // Act
    const healthy = await driver.check(300);
    // Assess
    expect(healthy).toBe(false);
    expect(log.entries.filter((entry) => entry.level !== "debug")).toEqual([
      expect.objectContaining({ level: "warn", message: expect.stringContaining("timed out after 300 ms") as unknown }),
    ]);
  });

  it("fails a start naming the resource, the command, its exit code and the end of its stderr", async () => {
    // Prepare
    const driver = driverFor(spec(exitWith(4, "start"), exitWith(0), exitWith(0)), memoryLog());
    // Act
    const outcome = driver.start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(ResourceActionError);
    await expect(outcome).rejects.toThrow(
      `resource report-svc (command): start failed: "${fixture("exit-with.sh")} 4 start" exited with code 4: exit-with stderr: failing with 4`,
    );
  });

  it("fails a stop that outlives its timeout", async () => {
    // Prepare
    const driver = driverFor(
      spec(exitWith(0), [fixture("process-tree.sh"), join(dir, "pids")], exitWith(0)),
      memoryLog(),
    );
    // Act
    const outcome = driver.stop(300);
    // Assess
    await expect(outcome).rejects.toThrow(/resource report-svc \(command\): stop failed: ".*" timed out after 300 ms/);
  });
});
