import type { SystemdSpec } from "../../core/agent/spec.js";
import type { AgentLog, ResourceDriver } from "../edges.js";
import { runCheck, runStep } from "./action.js";

export interface SystemdTools {
  /** The systemctl program. @default "systemctl" (found on PATH) */
  readonly systemctl: string;
}

export const DEFAULT_SYSTEMD_TOOLS: SystemdTools = { systemctl: "systemctl" };

/**
 * A systemd unit: `systemctl start`, `systemctl stop`, healthy when `systemctl is-active --quiet`.
 * systemctl waits for the unit's start or stop job to finish, so its exit code is the outcome.
 * `--no-ask-password` makes a missing privilege an error instead of a prompt nobody answers; `--`
 * keeps a unit name that starts with '-' from being read as an option. An aborted start kills the
 * `systemctl start` client only: the unit's start job goes on in systemd until the stop that follows
 * every abort (`systemctl stop` cancels a pending start job and stops what it started).
 */
export function createSystemdDriver(
  spec: SystemdSpec,
  log: AgentLog,
  tools: SystemdTools = DEFAULT_SYSTEMD_TOOLS,
): ResourceDriver {
  const label = `resource ${spec.id} (systemd unit ${spec.unit})`;
  const systemctl = (...args: string[]) => [tools.systemctl, "--no-ask-password", ...args, "--", spec.unit];
  return {
    async start(timeoutMs, signal) {
      await runStep(log, label, "start", systemctl("start"), timeoutMs, signal);
    },
    async stop(timeoutMs, signal) {
      await runStep(log, label, "stop", systemctl("stop"), timeoutMs, signal);
    },
    check(timeoutMs) {
      return runCheck(log, label, systemctl("is-active", "--quiet"), timeoutMs);
    },
  };
}
