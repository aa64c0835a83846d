import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MountSpec } from "../../../lib/core/agent/spec.js";
import { driverFor, type DriverTools } from "../../../lib/agent/drivers/index.js";
import { ResourceActionError } from "../../../lib/agent/edges.js";
import { fixture, memoryLog, recordedCalls, scratchDir } from "./support/fixtures.js";

const ROOT_LINE = "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw";

let dir: string;
let cleanup: () => void;
let dev: string;
let mountInfo: string;
let spec: MountSpec;
let tools: Partial<DriverTools>;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
  dev = join(dir, "dev");
  mkdirSync(join(dev, "disk", "by-id"), { recursive: true });
  mountInfo = join(dir, "mountinfo");
  writeFileSync(mountInfo, `${ROOT_LINE}\n`);
  vi.stubEnv("BATON_FIXTURE_CALLS", join(dir, "calls"));
  vi.stubEnv("BATON_FIXTURE_MOUNTINFO", mountInfo);
  spec = {
    type: "mount",
    id: "pg-mount",
    path: join(dir, "var", "lib", "postgresql"),
    volumeId: "vol-0a1b2c3d4e5f60001",
    device: "/dev/xvdf",
    dependsOn: [],
    pendingTimeoutMs: 60_000,
    stopTimeoutMs: 60_000,
    restart: { threshold: 0, periodMs: 0 },
  };
  tools = {
    devRoot: dev,
    mountInfo,
    mount: fixture("fake-mount.sh"),
    umount: fixture("fake-umount.sh"),
    fuser: fixture("fake-fuser.sh"),
    lsof: join(dir, "no-lsof"),
    pollMs: 20,
  };
});

afterEach(() => {
  vi.unstubAllEnvs();
  cleanup();
});

/** The volume as a Nitro instance shows it: a by-id link to the NVMe device. */
function attachNitro(): string {
  writeFileSync(join(dev, "nvme1n1"), "");
  symlinkSync("../../nvme1n1", join(dev, "disk", "by-id", "nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60001"));
  return join(dev, "nvme1n1");
}

function attachXen(name: string): string {
  writeFileSync(join(dev, name), "");
  return join(dev, name);
}

const calls = () => recordedCalls(join(dir, "calls"));

describe("the mount driver", () => {
  it("when aborted while waiting for the volume's device, ends at once without mounting", async () => {
    // Prepare: the volume is never attached; the start would wait up to 60 s.
    const driver = driverFor(spec, memoryLog(), tools);
    const abort = new AbortController();
    const started = performance.now();
    const outcome = driver.start(60_000, abort.signal);
    // Act
    setTimeout(() => abort.abort(), 100);
    // Assess
    await expect(outcome).rejects.toThrow(/aborted/);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(calls()).toEqual([]);
  });

  it("on Nitro, mounts the volume's NVMe device at the path (created), checks it, and unmounts it", async () => {
    // Prepare
    const device = attachNitro();
    const driver = driverFor(spec, memoryLog(), tools);
    // Act
    const before = await driver.check(1_000);
    await driver.start(5_000);
    const mounted = await driver.check(1_000);
    await driver.stop(5_000);
    const after = await driver.check(1_000);
    // Assess
    expect([before, mounted, after]).toEqual([false, true, false]);
    expect(existsSync(spec.path)).toBe(true);
    expect(calls()).toEqual([
      ["fake-mount.sh", "-o", "nosuid,nodev", device, spec.path],
      ["fake-umount.sh", spec.path],
    ]);
  });

  it("mounts with nosuid,nodev and then the definition's options, which may undo them", async () => {
    // Prepare
    const device = attachNitro();
    // Act
    await driverFor({ ...spec, options: ["noatime", "suid"] }, memoryLog(), tools).start(5_000);
    // Assess
    expect(calls()).toEqual([["fake-mount.sh", "-o", "nosuid,nodev,noatime,suid", device, spec.path]]);
  });

  it.each([
    ["/dev/xvdf", "xvdf", "xvdf"],
    ["/dev/xvdf", "sdf", "sdf"],
    ["/dev/sdg", "xvdg", "xvdg"],
  ])("on Xen, finds a volume attached as %s under the name %s", async (device, present, mountedName) => {
    // Prepare
    attachXen(present);
    // Act
    await driverFor({ ...spec, device }, memoryLog(), tools).start(5_000);
    // Assess
    expect(calls()).toEqual([["fake-mount.sh", "-o", "nosuid,nodev", join(dev, mountedName), spec.path]]);
  });

  it("waits for the device while the volume is being attached", async () => {
    // Prepare
    const driver = driverFor(spec, memoryLog(), tools);
    setTimeout(attachNitro, 100);
    // Act
    await driver.start(10_000);
    // Assess
    expect(calls()).toEqual([["fake-mount.sh", "-o", "nosuid,nodev", join(dev, "nvme1n1"), spec.path]]);
  });

  it("fails a start when the device does not appear in time, naming where it looked", async () => {
    // Prepare
    const driver = driverFor(spec, memoryLog(), tools);
    // Act
    const outcome = driver.start(200);
    // Assess
    await expect(outcome).rejects.toThrow(ResourceActionError);
    await expect(outcome).rejects.toThrow(
      `resource pg-mount (mount of vol-0a1b2c3d4e5f60001 at ${spec.path}): start failed: the volume's device did not ` +
        `appear within 200 ms (looked for ${dev}/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60001, ` +
        `${dev}/xvdf, ${dev}/sdf). Is vol-0a1b2c3d4e5f60001 attached to this machine?`,
    );
    expect(calls()).toEqual([]);
  });

  it("does nothing to start when the volume is mounted at the path already", async () => {
    // Prepare
    const device = attachNitro();
    writeFileSync(mountInfo, `${ROOT_LINE}\n101 22 259:1 / ${spec.path} rw - xfs ${device} rw\n`);
    // Act
    await driverFor(spec, memoryLog(), tools).start(5_000);
    // Assess
    expect(calls()).toEqual([]);
  });

  it("refuses to mount over another filesystem mounted at the path, and is not healthy", async () => {
    // Prepare
    attachNitro();
    writeFileSync(mountInfo, `${ROOT_LINE}\n101 22 259:7 / ${spec.path} rw - ext4 /dev/nvme7n1 rw\n`);
    const driver = driverFor(spec, memoryLog(), tools);
    // Act
    const outcome = driver.start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(
      `start failed: ${spec.path} is already a mount point of /dev/nvme7n1 (ext4), not of ${join(dev, "nvme1n1")}; ` +
        "Baton does not mount over it.",
    );
    expect(await driver.check(1_000)).toBe(false);
    expect(calls()).toEqual([]);
  });

  it("fails a start with mount's own words when mount fails", async () => {
    // Prepare
    attachNitro();
    vi.stubEnv("BATON_FAKE_FAIL", "mount");
    // Act
    const outcome = driverFor(spec, memoryLog(), tools).start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(
      /start failed: ".*fake-mount.sh .*" exited with code 32: mount: .*wrong fs type/,
    );
  });

  it("fails a start as a ResourceActionError naming the resource when the mount point cannot be created", async () => {
    // Prepare
    attachNitro();
    writeFileSync(join(dir, "var"), "a file where a directory should be");
    // Act
    const outcome = driverFor(spec, memoryLog(), tools).start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(ResourceActionError);
    await expect(outcome).rejects.toThrow(
      `resource pg-mount (mount of vol-0a1b2c3d4e5f60001 at ${spec.path}): start failed: ENOTDIR`,
    );
    expect(calls()).toEqual([]);
  });

  it.each([
    ["a directory on the way", "var"],
    ["the mount point itself", join("var", "lib", "postgresql")],
  ])("refuses to mount through a symbolic link in %s, and creates nothing", async (_where, link) => {
    // Prepare: the link leads where a volume must never be mounted over (here a stand-in for /etc).
    attachNitro();
    const target = join(dir, "etc");
    mkdirSync(target);
    mkdirSync(join(dir, link, ".."), { recursive: true });
    symlinkSync(target, join(dir, link));
    // Act
    const outcome = driverFor(spec, memoryLog(), tools).start(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(ResourceActionError);
    await expect(outcome).rejects.toThrow(
      `resource pg-mount (mount of vol-0a1b2c3d4e5f60001 at ${spec.path}): start failed: ${join(dir, link)} is a symbolic link`,
    );
    expect(calls()).toEqual([]);
    expect(readdirSync(target)).toEqual([]);
  });

  it("does nothing to stop when the path is not a mount point", async () => {
    // Act
    await driverFor(spec, memoryLog(), tools).stop(5_000);
    // Assess
    expect(calls()).toEqual([]);
  });

  it("fails a stop on a busy mount point, listing who holds it (fuser -vm)", async () => {
    // Prepare
    const device = attachNitro();
    writeFileSync(mountInfo, `${ROOT_LINE}\n101 22 259:1 / ${spec.path} rw - xfs ${device} rw\n`);
    vi.stubEnv("BATON_FAKE_FAIL", "umount");
    // Act
    const outcome = driverFor(spec, memoryLog(), tools).stop(5_000);
    // Assess
    const error = (await outcome.catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ResourceActionError);
    expect(error.message).toContain(`stop failed: "${fixture("fake-umount.sh")} ${spec.path}" exited with code 32`);
    expect(error.message).toContain(`umount: ${spec.path}: target is busy.`);
    expect(error.message).toContain("The mount point is busy. Held by");
    expect(error.message).toContain("postgres   4242 ..c.. postgres");
    expect(calls()).toEqual([
      ["fake-umount.sh", spec.path],
      ["fake-fuser.sh", "-vm", spec.path],
    ]);
    expect(readFileSync(mountInfo, "utf8")).toContain(spec.path);
  });

  it("says how to find the holders of a busy mount point when neither fuser nor lsof is installed", async () => {
    // Prepare
    const device = attachNitro();
    writeFileSync(mountInfo, `${ROOT_LINE}\n101 22 259:1 / ${spec.path} rw - xfs ${device} rw\n`);
    vi.stubEnv("BATON_FAKE_FAIL", "umount");
    // Act
    const outcome = driverFor(spec, memoryLog(), { ...tools, fuser: join(dir, "no-fuser") }).stop(5_000);
    // Assess
    await expect(outcome).rejects.toThrow(
      `Could not list who holds it: install psmisc (fuser) or lsof, or look with \`fuser -vm ${spec.path}\`.`,
    );
  });

  it("is not healthy when the volume's device is gone, even if the path is still mounted", async () => {
    // Prepare
    writeFileSync(mountInfo, `${ROOT_LINE}\n101 22 259:1 / ${spec.path} rw - xfs ${join(dev, "nvme1n1")} rw\n`);
    // Act
    const healthy = await driverFor(spec, memoryLog(), tools).check(1_000);
    // Assess
    expect(healthy).toBe(false);
  });

  it("is not healthy, and logs why, when the mount table cannot be read", async () => {
    // Prepare
    attachNitro();
    const log = memoryLog();
    // Act
    const healthy = await driverFor(spec, log, { ...tools, mountInfo: join(dir, "missing") }).check(1_000);
    // Assess
    expect(healthy).toBe(false);
    expect(log.entries.map((e) => e.level)).toEqual(["warn"]);
  });
});
