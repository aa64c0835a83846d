import { runCli } from "../../lib/cli/main.js";
import type { CliIo } from "../../lib/cli/io.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `baton ARGV` run in this process through the real entry (runCli: commander, lookup, clients, exit codes), its
 * output captured. The AWS SDK reads process.env as in a shell (useFreshMoto points it at moto).
 */
export async function baton(
  argv: readonly string[],
  io: Partial<Pick<CliIo, "now" | "sleep" | "signal" | "env">> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: io.env ?? {},
    now: io.now ?? (() => Date.now()),
    sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    signal: io.signal,
  });
  return { code, stdout, stderr };
}

/** A stack trace's frame lines (`    at f (file:1:2)`): never in what the CLI prints. */
export const STACK_FRAME = /^\s+at .+[:(]/m;
