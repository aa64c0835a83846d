/**
 * A Linux watchdog device (`/dev/watchdog0`, docs/agent.md "Watchdog"). Opening it arms it; the agent
 * then writes to it at every decision of its loop ("pets" it). If the agent hangs (its event loop
 * blocked, the process stopped or killed) the writes stop and, after the device's timeout, the kernel
 * or the hardware resets the machine, so a hung agent cannot keep resources running past its lease.
 *
 * Node cannot issue ioctls: the timeout (WDIOC_SETTIMEOUT) cannot be set from here. It is the driver's
 * (`softdog soft_margin=`, `iTCO_wdt heartbeat=`); it is read from sysfs, when there, only to check it.
 * Writing `V` before closing (the "magic close") disarms the device unless the driver was loaded with
 * `nowayout`; the agent does so only when it leaves with every resource stopped.
 */
import { closeSync, constants, openSync, readFileSync, realpathSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import type { AgentLog } from "./edges.js";

/** What the agent loop needs of a watchdog. */
export interface WatchdogPort {
  /** Resets the device's countdown. Never throws. */
  pet(): void;
  /** The device's timeout, when it could be read: the agent checks it against the lease. */
  readonly timeoutMs?: number;
}

export interface Watchdog extends WatchdogPort {
  /** The magic close: disarms the device (unless `nowayout`) and closes it. Never throws. */
  disarm(): void;
}

export class WatchdogOpenError extends Error {
  override readonly name = "WatchdogOpenError";
}

/** Where the kernel lists watchdog devices and their `timeout` in seconds. */
const SYS_CLASS_WATCHDOG = "/sys/class/watchdog";

/**
 * Opens (and so arms) `device`.
 * @throws WatchdogOpenError saying why it cannot be opened and what to do
 */
export function openWatchdog(device: string, log: AgentLog, sysClassRoot = SYS_CLASS_WATCHDOG): Watchdog {
  let fd: number;
  try {
    // Write-only, never created: a missing device is an error, not a new file.
    fd = openSync(device, constants.O_WRONLY);
  } catch (error) {
    throw new WatchdogOpenError(`cannot open the watchdog ${device}: ${openProblem(error)}`, { cause: error });
  }
  const timeoutMs = readTimeoutMs(device, sysClassRoot);
  let failing = false;
  let open = true;
  return {
    timeoutMs,
    pet() {
      if (!open) return;
      try {
        writeSync(fd, "1");
        if (failing) log.info(`watchdog ${device}: writes work again`);
        failing = false;
      } catch (error) {
        if (!failing) {
          log.error(`watchdog ${device}: cannot write to it (the node will be reset when it times out)`, { error });
        }
        failing = true;
      }
    },
    disarm() {
      if (!open) return;
      open = false;
      try {
        writeSync(fd, "V");
        closeSync(fd);
      } catch (error) {
        log.error(`watchdog ${device}: could not disarm it (the node may be reset when it times out)`, { error });
      }
    },
  };
}

/** The device's timeout from sysfs (`/sys/class/watchdog/watchdog0/timeout`); undefined when unknown. */
function readTimeoutMs(device: string, sysClassRoot: string): number | undefined {
  try {
    let name = basename(realpathSync(device));
    // /dev/watchdog is the legacy name of the first device.
    if (name === "watchdog") name = "watchdog0";
    const seconds = Number(readFileSync(join(sysClassRoot, name, "timeout"), "utf8").trim());
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

function openProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return "no such device; load a watchdog driver (the hardware's, or `modprobe softdog soft_margin=8`) or fix watchdog.device";
  }
  if (code === "EBUSY") {
    return "another program holds it (systemd's RuntimeWatchdogSec=, or a watchdog daemon): free it, or use another device";
  }
  if (code === "EACCES" || code === "EPERM") return "permission denied (the agent runs as root in baton-agent.service)";
  return error instanceof Error ? error.message : String(error);
}
