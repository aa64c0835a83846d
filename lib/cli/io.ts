import { setTimeout as delay } from "node:timers/promises";

/**
 * Everything a command touches outside AWS: where it writes, the environment it reads, the clock and waits.
 * `main` gives the process's; tests give their own to capture the output.
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** This machine's clock, epoch ms (for ages and deadlines shown to the operator; the cluster never relies on it). */
  now(): number;
  /** Waits `ms`; ends early (resolves) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Aborted on Ctrl-C: `--watch` and waits end cleanly. */
  readonly signal?: AbortSignal;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => Date.now(),
    sleep: (ms, abort) => delay(ms, undefined, { signal: abort }).catch(() => undefined),
    signal,
  };
}
