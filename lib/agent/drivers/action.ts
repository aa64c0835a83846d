import { describeRun, formatArgv, outputTail, ProgramNotRunError, run, type RunResult } from "../exec.js";
import { type AgentLog, ResourceActionError } from "../ports.js";

/** Who a message is about: `resource postgres (systemd unit postgresql.service)`. */
export type ResourceLabel = string;

/**
 * Runs one step of a start or a stop and logs its outcome with the output's tails.
 * @throws ResourceActionError naming the resource, what ran, how it ended and the end of its stderr
 */
export async function runStep(
  log: AgentLog,
  label: ResourceLabel,
  action: string,
  argv: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RunResult> {
  const result = await runOrExplain(label, action, argv, timeoutMs, signal);
  const ok = succeeded(result);
  const attributes = { resource: label, action, command: formatArgv(argv), ...outcome(result) };
  if (ok) log.info(`${action}: ${formatArgv(argv)} succeeded`, attributes);
  else log.error(`${action}: ${formatArgv(argv)} ${describeRun(result, timeoutMs)}`, attributes);
  if (!ok) throw new ResourceActionError(failure(label, action, result, timeoutMs));
  return result;
}

/**
 * Runs a health check: exit 0 is healthy. A check that fails normally is quiet (a stopped resource
 * fails its check every heartbeat); one that cannot run or times out is logged, and is unhealthy.
 */
export async function runCheck(
  log: AgentLog,
  label: ResourceLabel,
  argv: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    const result = await run(argv, { timeoutMs });
    if (result.timedOut) {
      log.warn(`check: ${formatArgv(argv)} ${describeRun(result, timeoutMs)}`, {
        resource: label,
        command: formatArgv(argv),
        ...outcome(result),
      });
    }
    return succeeded(result);
  } catch (error) {
    log.warn(`check of ${label} could not run`, { resource: label, command: formatArgv(argv), error });
    return false;
  }
}

/** Runs `argv`; a program that cannot start becomes a ResourceActionError saying which and why. */
export async function runOrExplain(
  label: ResourceLabel,
  action: string,
  argv: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RunResult> {
  try {
    return await run(argv, { timeoutMs, signal });
  } catch (error) {
    if (error instanceof ProgramNotRunError) {
      throw new ResourceActionError(`${label}: ${action} failed: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

export function succeeded(result: RunResult): boolean {
  return !result.timedOut && !result.aborted && result.exitCode === 0;
}

/** `resource x (...): start failed: "systemctl start x" exited with code 1: <stderr tail>` */
export function failure(label: ResourceLabel, action: string, result: RunResult, timeoutMs: number): string {
  return `${label}: ${action} failed: "${formatArgv(result.argv)}" ${describeRun(result, timeoutMs)}${outputTail(result)}`;
}

function outcome(result: RunResult): Record<string, unknown> {
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(result.aborted ? { aborted: true } : {}),
    ...(result.stdout ? { stdout: result.stdout } : {}),
    ...(result.stderr ? { stderr: result.stderr } : {}),
  };
}
