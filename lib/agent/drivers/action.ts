import { describeRun, formatArgv, outputTail, ProgramNotRunError, run, type RunResult } from "../exec.js";
import { type AgentLog, ResourceActionError } from "../edges.js";

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
  logOutput(log, label, action, result);
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
      logOutput(log, label, "check", result);
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

/**
 * How much of each output stream the log keeps: its end, where the error usually is. A program's output
 * may hold anything (a password a script echoes, a customer's data), so it is logged at debug only, and short.
 */
const LOGGED_OUTPUT_BYTES = 2 * 1024;

/** The output of a run, at debug, the last `LOGGED_OUTPUT_BYTES` of each stream; nothing when it wrote none. */
export function logOutput(log: AgentLog, label: ResourceLabel, action: string, result: RunResult): void {
  if (result.stdout === "" && result.stderr === "") return;
  log.debug(`${action}: output of ${formatArgv(result.argv)}`, {
    resource: label,
    action,
    ...(result.stdout ? { stdout: lastBytes(result.stdout, LOGGED_OUTPUT_BYTES) } : {}),
    ...(result.stderr ? { stderr: lastBytes(result.stderr, LOGGED_OUTPUT_BYTES) } : {}),
  });
}

/** The last `limit` bytes of `text` as UTF-8 (a character cut in two at the start is dropped). */
function lastBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= limit) return text;
  const tail = bytes.subarray(bytes.length - limit);
  // Skip continuation bytes (10xxxxxx) of a character whose start was cut off.
  let start = 0;
  while (start < tail.length && ((tail[start] ?? 0) & 0xc0) === 0x80) start++;
  return tail.subarray(start).toString("utf8");
}

function outcome(result: RunResult): Record<string, unknown> {
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(result.aborted ? { aborted: true } : {}),
  };
}
