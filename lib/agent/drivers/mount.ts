import { lstat, mkdir, readlink } from "node:fs/promises";
import type { MountSpec } from "../../core/agent/spec.js";
import { formatArgv, run } from "../exec.js";
import { type AgentLog, ResourceActionError, type ResourceDriver } from "../edges.js";
import { failure, logOutput, runOrExplain, runStep, succeeded } from "./action.js";
import { deviceCandidates, findDevice, mountsDevice, waitForDevice } from "./block-device.js";
import { readMountInfo, visibleMountAt } from "./mountinfo.js";

export interface MountTools {
  /** Where device nodes are. @default "/dev" */
  readonly devRoot: string;
  /** The mount table read by the check. @default "/proc/self/mountinfo" */
  readonly mountInfo: string;
  /** Programs, found on PATH unless absolute. @default "mount", "umount", "fuser", "lsof" */
  readonly mount: string;
  readonly umount: string;
  readonly fuser: string;
  readonly lsof: string;
  /** How often to look for the volume's device while it is being attached. @default 250 */
  readonly pollMs: number;
}

export const DEFAULT_MOUNT_TOOLS: MountTools = {
  devRoot: "/dev",
  mountInfo: "/proc/self/mountinfo",
  mount: "mount",
  umount: "umount",
  fuser: "fuser",
  lsof: "lsof",
  pollMs: 250,
};

/** Longest the agent spends listing who holds a busy mount point. */
const HOLDERS_TIMEOUT_MS = 5_000;

/**
 * An EBS volume mounted at a path. The controller attaches the volume before it asks for the mount.
 *
 * - start: waits (within the timeout) for the volume's device to appear, creates the directory if it
 *   is missing and runs `mount -o nosuid,nodev[,options] <device> <path>`; nothing to do when it is
 *   mounted there already, and an error when another filesystem is mounted at the path (Baton never
 *   mounts over it) or when any component of the path is a symbolic link.
 * - stop: `umount <path>` while the path is a mount point; nothing to do when it is not. When the
 *   mount point is busy the error lists the processes holding it (`fuser -vm`, else `lsof`).
 * - abort (of a start or stop): stops waiting for the device, kills `mount`/`umount`; a mount that
 *   completed meanwhile is undone by the stop that follows every abort.
 * - check: the path is a mount point of the volume's device (from /proc/self/mountinfo).
 */
export function createMountDriver(
  spec: MountSpec,
  log: AgentLog,
  tools: MountTools = DEFAULT_MOUNT_TOOLS,
): ResourceDriver {
  const label = `resource ${spec.id} (mount of ${spec.volumeId} at ${spec.path})`;
  const candidates = deviceCandidates(spec, tools.devRoot);
  const mounted = async () => visibleMountAt(await readMountInfo(tools.mountInfo), spec.path);

  return {
    start: (timeoutMs, signal) => explained(label, "start", () => start(timeoutMs, signal)),
    stop: (timeoutMs, signal) => explained(label, "stop", () => stop(timeoutMs, signal)),
    async check() {
      try {
        const device = await findDevice(candidates);
        const current = await mounted();
        return device !== undefined && current !== undefined && (await mountsDevice(current, device));
      } catch (error) {
        log.warn(`check of ${label} could not read the mount table`, { resource: label, error });
        return false;
      }
    },
  };

  async function start(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const device = await waitForDevice(candidates, deadline, tools.pollMs, signal);
    throwIfAborted(label, signal);
    if (device === undefined) {
      throw new ResourceActionError(
        `${label}: start failed: the volume's device did not appear within ${timeoutMs} ms ` +
          `(looked for ${candidates.join(", ")}). Is ${spec.volumeId} attached to this machine?`,
      );
    }
    const current = await mounted();
    if (current !== undefined) {
      if (await mountsDevice(current, device)) {
        log.info(`${label} is mounted already`, { resource: label, device });
        return;
      }
      throw new ResourceActionError(
        `${label}: start failed: ${spec.path} is already a mount point of ${current.source} (${current.fsType}), ` +
          `not of ${device}; Baton does not mount over it. Unmount it, or change the path in the definition.`,
      );
    }
    throwIfAborted(label, signal);
    await refuseSymbolicLinks(label, spec.path);
    await mkdir(spec.path, { recursive: true });
    // Again, just before mount: a link made meanwhile (where another user may write) is still refused.
    await refuseSymbolicLinks(label, spec.path);
    throwIfAborted(label, signal);
    const argv = [tools.mount, "-o", mountOptions(spec).join(","), device, spec.path];
    await runStep(log, label, "start", argv, remaining(deadline), signal);
  }

  async function stop(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    if ((await mounted()) === undefined) return;
    throwIfAborted(label, signal);
    const argv = [tools.umount, spec.path];
    const result = await runOrExplain(label, "stop", argv, timeoutMs, signal);
    if (succeeded(result)) {
      log.info(`stop: ${formatArgv(argv)} succeeded`, { resource: label });
      return;
    }
    let message = failure(label, "stop", result, timeoutMs);
    if (/busy/i.test(result.stderr)) {
      message += `\nThe mount point is busy. ${await holders(spec.path, tools, remaining(deadline))}`;
    }
    log.error(message, { resource: label, action: "stop" });
    logOutput(log, label, "stop", result);
    throw new ResourceActionError(message);
  }
}

/**
 * The options mount gets: `nosuid,nodev` (a volume moved from another machine must not bring set-user-id
 * programs or device nodes with it), then the definition's own, which come later and so win (`suid`, `dev`).
 */
export function mountOptions(spec: Pick<MountSpec, "options">): string[] {
  return ["nosuid", "nodev", ...(spec.options ?? [])];
}

/**
 * Refuses a mount path with a symbolic link in any of its components (lstat, one by one): mount follows
 * links, so a link there, made by whoever may write to a directory on the way, would put the volume over
 * another directory (/etc). Components that do not exist yet end the walk: mkdir creates them.
 */
async function refuseSymbolicLinks(label: string, path: string): Promise<void> {
  const segments = path.split("/").filter((segment) => segment !== "");
  for (let i = 1; i <= segments.length; i++) {
    const component = `/${segments.slice(0, i).join("/")}`;
    let info;
    try {
      info = await lstat(component);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw error;
    }
    if (info.isSymbolicLink()) {
      const target = await readlink(component).catch(() => "?");
      throw new ResourceActionError(
        `${label}: start failed: ${component} is a symbolic link (to ${target}); Baton does not mount through ` +
          "symbolic links, which could put the volume over another directory. Write the real path in the definition.",
      );
    }
  }
}

function throwIfAborted(label: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ResourceActionError(`${label}: aborted`);
}

/** Any other failure (the mount table unreadable, the directory not creatable) as a ResourceActionError. */
async function explained(label: string, action: string, act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (error) {
    if (error instanceof ResourceActionError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ResourceActionError(`${label}: ${action} failed: ${reason}`, { cause: error });
  }
}

/** Who holds `path`, in the words of `fuser -vm`, else `lsof`; says so when neither can tell. */
async function holders(path: string, tools: MountTools, budgetMs: number): Promise<string> {
  const timeoutMs = Math.max(1_000, Math.min(budgetMs, HOLDERS_TIMEOUT_MS));
  for (const argv of [
    [tools.fuser, "-vm", path],
    [tools.lsof, "+f", "--", path],
  ]) {
    try {
      const result = await run(argv, { timeoutMs });
      // fuser -v writes its table to stderr; lsof to stdout. Both exit 1 when nobody holds it.
      const listing = `${result.stderr}\n${result.stdout}`.trim();
      if (listing !== "") return `Held by (${formatArgv(argv)}):\n${listing}`;
    } catch {
      // not installed: try the next one
    }
  }
  return `Could not list who holds it: install psmisc (fuser) or lsof, or look with \`fuser -vm ${path}\`.`;
}

function remaining(deadline: number): number {
  return Math.max(1, Math.round(deadline - performance.now()));
}
