import { realpath, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { MountSpec } from "../../core/agent/spec.js";
import type { MountEntry } from "./mountinfo.js";

/**
 * Where an EBS volume can show up, best first: on Nitro instances (NVMe) udev names it by volume id,
 * `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b…` (the id without its dash); on Xen
 * instances it is the device name it was attached at, as `/dev/xvdf` or `/dev/sdf` depending on the
 * kernel. `devRoot` stands for `/dev`.
 */
export function deviceCandidates(spec: Pick<MountSpec, "volumeId" | "device">, devRoot: string): string[] {
  const letter = /^\/dev\/(?:sd|xvd)([a-z])$/.exec(spec.device)?.[1];
  const named = letter ? [`${devRoot}/xvd${letter}`, `${devRoot}/sd${letter}`] : [devRoot + spec.device.slice(4)];
  const xenFirst = spec.device.startsWith("/dev/sd") ? named.reverse() : named;
  return [`${devRoot}/disk/by-id/nvme-Amazon_Elastic_Block_Store_${spec.volumeId.replace("-", "")}`, ...xenFirst];
}

/** The first candidate that exists now, resolved through symlinks (`/dev/nvme1n1`). */
export async function findDevice(candidates: readonly string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      return await realpath(candidate);
    } catch {
      // not there (yet)
    }
  }
  return undefined;
}

/** Polls for the device until `deadline` (a `performance.now()` time), or until `signal` aborts. */
export async function waitForDevice(
  candidates: readonly string[],
  deadline: number,
  pollMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  for (;;) {
    const found = await findDevice(candidates);
    if (found !== undefined || performance.now() >= deadline || signal?.aborted === true) return found;
    try {
      await sleep(Math.min(pollMs, Math.max(0, deadline - performance.now())), undefined, { signal });
    } catch {
      return undefined; // aborted
    }
  }
}

/**
 * Whether `entry` mounts `device` (a resolved path): the same device numbers for a block device,
 * else the same path once the kernel's source name is resolved.
 */
export async function mountsDevice(entry: MountEntry, device: string): Promise<boolean> {
  try {
    const info = await stat(device, { bigint: true });
    if (info.isBlockDevice() && entry.device === majorMinor(info.rdev)) return true;
  } catch {
    return false;
  }
  try {
    return (await realpath(entry.source)) === device;
  } catch {
    return entry.source === device;
  }
}

/** Linux dev_t as `major:minor` (the glibc encoding). */
function majorMinor(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
