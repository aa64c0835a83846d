import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SystemdSpec } from "../../../lib/core/agent/spec.js";
import { driverFor } from "../../../lib/agent/drivers/index.js";
import { ResourceActionError } from "../../../lib/agent/edges.js";
import { fixture, memoryLog, recordedCalls, scratchDir } from "./support/fixtures.js";

const SPEC: SystemdSpec = {
  type: "systemd",
  id: "postgres",
  unit: "postgresql.service",
  dependsOn: [],
  pendingTimeoutMs: 180_000,
  stopTimeoutMs: 60_000,
  restart: { threshold: 3, periodMs: 900_000 },
};

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
  vi.stubEnv("BATON_FIXTURE_CALLS", join(dir, "calls"));
  vi.stubEnv("BATON_FIXTURE_STATE", dir);
});

afterEach(() => {
  vi.unstubAllEnvs();
  cleanup();
});

function systemd(log = memoryLog()) {
  return driverFor(SPEC, log, { systemctl: fixture("fake-systemctl.sh") });
}

describe("the systemd driver", () => {
  it("starts with systemctl start, is healthy while is-active says so, and stops with systemctl stop", async () => {
    // Prepare
    const driver = systemd();
    // Act
    const before = await driver.check(5_000);
    await driver.start(5_000);
    const running = await driver.check(5_000);
    await driver.stop(5_000);
    const after = await driver.check(5_000);
    // Assess
    expect([before, running, after]).toEqual([false, true, false]);
    const unitArgs = ["--no-ask-password"];
    expect(recordedCalls(join(dir, "calls"))).toEqual([
      ["fake-systemctl.sh", ...unitArgs, "is-active", "--quiet", "--", "postgresql.service"],
      ["fake-systemctl.sh", ...unitArgs, "start", "--", "postgresql.service"],
      ["fake-systemctl.sh", ...unitArgs, "is-active", "--quiet", "--", "postgresql.service"],
      ["fake-systemctl.sh", ...unitArgs, "stop", "--", "postgresql.service"],
      ["fake-systemctl.sh", ...unitArgs, "is-active", "--quiet", "--", "postgresql.service"],
    ]);
  });

  it("names the resource, the command, the exit code and systemctl's own words when a start fails", async () => {
    // Prepare
    vi.stubEnv("BATON_FAKE_FAIL", "start");
    const log = memoryLog();
    // Act
    const outcome = systemd(log).start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(ResourceActionError);
    const error = (await outcome.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("resource postgres (systemd unit postgresql.service): start failed:");
    expect(error.message).toContain(
      `"${fixture("fake-systemctl.sh")} --no-ask-password start -- postgresql.service" exited with code 1`,
    );
    expect(error.message).toContain("Job for postgresql.service failed because the control process exited");
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: "error", attributes: expect.objectContaining({ exitCode: 1 }) as unknown }),
    );
  });

  it("fails a stop that outlives its timeout, saying so", async () => {
    // Prepare
    vi.stubEnv("BATON_FAKE_HANG", "stop");
    // Act
    const outcome = systemd().stop(300);
    // Assess
    await expect(outcome).rejects.toThrow(
      /resource postgres \(systemd unit postgresql.service\): stop failed: ".*" timed out after 300 ms and was killed/,
    );
  });

  it("reports unhealthy, without throwing, when systemctl is missing, and logs why", async () => {
    // Prepare
    const log = memoryLog();
    const driver = driverFor(SPEC, log, { systemctl: join(dir, "no-systemctl") });
    // Act
    const healthy = await driver.check(1_000);
    // Assess
    expect(healthy).toBe(false);
    expect(log.entries.map((e) => e.level)).toEqual(["warn"]);
    await expect(driver.start(1_000)).rejects.toThrow(
      `resource postgres (systemd unit postgresql.service): start failed: could not run ${join(dir, "no-systemctl")}: no such program`,
    );
    expect(existsSync(join(dir, "postgresql.service"))).toBe(false);
  });
});
