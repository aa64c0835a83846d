import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** How much of each output stream is kept: the end, where the error usually is. */
export const OUTPUT_TAIL_BYTES = 8 * 1024;

export interface RunOptions {
  /** The whole run, from spawn to exit; then the process group gets SIGTERM. */
  readonly timeoutMs: number;
  /** Between SIGTERM and SIGKILL to the process group. @default 2000 */
  readonly killGraceMs?: number;
  /**
   * After the program exits, how long to wait for its output to end: a program that leaves a
   * daemon behind holding its stdout never closes it. @default 200
   */
  readonly drainMs?: number;
  /**
   * Aborts the run: the process group gets SIGTERM, then SIGKILL after `abortGraceMs`; the run answers
   * (`aborted`) once no live process is left in the group, so nothing it started runs on unseen (or,
   * `stillRunning`, 1 s after SIGKILL when something cannot die).
   */
  readonly signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL when aborted: short, a stop waits for it. @default 100 */
  readonly abortGraceMs?: number;
}

/** How one run ended. Exactly one of `exitCode`, `signal` or `timedOut` tells it. */
export interface RunResult {
  readonly argv: readonly string[];
  /** The exit code, or null when the program was killed by a signal or timed out. */
  readonly exitCode: number | null;
  /** The signal that ended the program, when it did not time out. */
  readonly signal: NodeJS.Signals | null;
  /** True when the run outlived `timeoutMs` and its process group was killed. */
  readonly timedOut: boolean;
  /** True when the run was aborted through `signal` (its process group killed). */
  readonly aborted: boolean;
  /** True when, timed out or aborted, the program was still alive even after SIGKILL (uninterruptible sleep: a hung mount). */
  readonly stillRunning: boolean;
  /** The last `OUTPUT_TAIL_BYTES` of standard output and standard error, as UTF-8. */
  readonly stdout: string;
  readonly stderr: string;
}

/** The program could not be started at all (not found, not executable). */
export class ProgramNotRunError extends Error {
  override readonly name = "ProgramNotRunError";
}

/**
 * Runs `argv` WITHOUT a shell (arguments reach the program exactly as given: `$(…)`, `;` and `*`
 * are plain characters) in a process group of its own, with stdin closed, and without the agent's
 * proxy variables (`programEnvironment`).
 *
 * On timeout (or abort) the whole group gets SIGTERM, then SIGKILL after `killGraceMs` (`abortGraceMs`),
 * so helpers a script started die with it, and the run answers only once no live process is left in
 * the group: a caller told the run ended can rely on nothing of it still running. It answers at the
 * latest 1 s after SIGKILL even if something cannot die (`stillRunning`). A non-zero exit is a result,
 * not an error.
 *
 * @throws ProgramNotRunError when the program cannot be started
 */
export function run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined || program === "") {
    return Promise.reject(new ProgramNotRunError("no program to run: the command is empty"));
  }
  const killGraceMs = options.killGraceMs ?? 2_000;
  const drainMs = options.drainMs ?? 200;
  const abortGraceMs = options.abortGraceMs ?? 100;
  const signal = options.signal;
  if (signal?.aborted === true) {
    return Promise.resolve({
      argv,
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: true,
      stillRunning: false,
      stdout: "",
      stderr: "",
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      shell: false,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: programEnvironment(process.env),
    });
    const stdout = new Tail(OUTPUT_TAIL_BYTES);
    const stderr = new Tail(OUTPUT_TAIL_BYTES);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    let aborted = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null, stillRunning: boolean): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      // A daemon left behind may hold the pipes open: keep reading them (bounded) so that it never
      // blocks or dies of SIGPIPE on a write, but do not let them keep the agent alive.
      for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void }).unref?.();
      resolve({
        argv,
        exitCode: timedOut || aborted ? null : exitCode,
        signal: timedOut || aborted ? null : exitSignal,
        timedOut,
        aborted,
        stillRunning,
        stdout: stdout.text(),
        stderr: stderr.text(),
      });
    };

    /** Killed (timed out or aborted): done once the leader exited and no live process is left in its group. */
    const finishWhenGone = (): void => {
      if (exited !== undefined && groupEmpty(child.pid)) finish(exited.code, exited.signal, false);
    };
    let watching = false;
    const watchGroup = (): void => {
      if (watching || exited === undefined) return;
      watching = true;
      finishWhenGone();
      timers.push(setInterval(finishWhenGone, 10));
    };
    /** SIGTERM to the group now, SIGKILL after `graceMs`; the run answers `stillRunning` 1 s after that. */
    const killAll = (graceMs: number): void => {
      killGroup("SIGTERM");
      // Not cleared when the program exits on SIGTERM: helpers of its group that ignore SIGTERM
      // still get SIGKILL. The group id cannot be reused while any of them is alive.
      setTimeout(() => killGroup("SIGKILL"), graceMs).unref();
      timers.push(setTimeout(() => finish(null, null, true), graceMs + 1_000));
      watchGroup();
    };
    function onAbort(): void {
      if (settled || aborted || timedOut) return;
      aborted = true;
      killAll(abortGraceMs);
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    child.once("error", (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(new ProgramNotRunError(`could not run ${program}: ${spawnProblem(error)}`, { cause: error }));
    });
    child.once("exit", (code, exitSignal) => {
      exited = { code, signal: exitSignal };
      if (aborted || timedOut) {
        // The group may outlive its leader: answer once nothing of it is left.
        watchGroup();
        return;
      }
      // Output already written is read before the answer, unless a leftover process keeps the pipes open.
      child.once("close", () => finish(code, exitSignal, false));
      timers.push(setTimeout(() => finish(code, exitSignal, false), drainMs));
    });
    timers.push(
      setTimeout(() => {
        if (aborted) return;
        timedOut = true;
        killAll(killGraceMs);
      }, options.timeoutMs),
    );
  });
}

/** HTTPS_PROXY, http_proxy, ALL_PROXY, NO_PROXY and the like, in any case. */
const PROXY_VARIABLE = /^(?:https?|all|no|ftp)_proxy$/i;

/**
 * The environment of the programs the agent runs: its own, without the proxy variables. Those may
 * hold the proxy's password, which the agent's unit keeps in a file only root reads (docs/agent-install.md);
 * a program that needs a proxy sets its own.
 */
function programEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !PROXY_VARIABLE.test(name)));
}

/**
 * Whether no live process is left in the process group `pid` leads. Zombies (dead, waiting to be
 * reaped, perhaps by a PID 1 that never reaps) do not count: they run nothing.
 */
function groupEmpty(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(-pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return false; // no /proc: the group has members, count them as alive
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pid && fields[0] !== "Z" && fields[0] !== "X") return false;
  }
  return true;
}

/** What went wrong in a run, in words: "exited with code 3", "timed out after 500 ms (killed)". */
export function describeRun(result: RunResult, timeoutMs: number): string {
  if (result.aborted) {
    return result.stillRunning
      ? "was aborted and is still running even after SIGKILL (stuck in the kernel, e.g. on a hung device)"
      : "was aborted (its process group killed)";
  }
  if (result.timedOut) {
    return result.stillRunning
      ? `timed out after ${timeoutMs} ms and is still running even after SIGKILL (stuck in the kernel, e.g. on a hung device)`
      : `timed out after ${timeoutMs} ms and was killed`;
  }
  if (result.signal !== null) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

/** The last lines of a run's standard error (else its standard output), for an error message. */
export function outputTail(result: RunResult, maxChars = 1_000): string {
  const text = (result.stderr.trim() || result.stdout.trim()).slice(-maxChars);
  return text === "" ? "" : `: ${text}`;
}

/** `argv` as one would type it, for messages and logs (quoted only where needed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`)).join(" ");
}

function spawnProblem(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") return "no such program (check the path, and PATH for a bare name)";
  if (error.code === "EACCES") return "permission denied (is the file executable?)";
  return error.message;
}

/** Keeps the last `limit` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
  }
}
