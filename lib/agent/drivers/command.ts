import type { CommandSpec } from "../../core/agent/spec.js";
import type { AgentLog, ResourceDriver } from "../edges.js";
import { runCheck, runStep } from "./action.js";

/**
 * A resource run by programs of the definition: `start`, `stop` and `check` argv, run without a
 * shell; exit code 0 is success (for the check: healthy). A start script may leave a daemon behind:
 * it keeps running, and its output is still read (and dropped) so it never blocks on a full pipe.
 * An aborted start or stop has its program's whole process group killed (SIGTERM, then SIGKILL).
 */
export function createCommandDriver(spec: CommandSpec, log: AgentLog): ResourceDriver {
  const label = `resource ${spec.id} (command)`;
  return {
    async start(timeoutMs, signal) {
      await runStep(log, label, "start", spec.start, timeoutMs, signal);
    },
    async stop(timeoutMs, signal) {
      await runStep(log, label, "stop", spec.stop, timeoutMs, signal);
    },
    check(timeoutMs) {
      return runCheck(log, label, spec.check, timeoutMs);
    },
  };
}
