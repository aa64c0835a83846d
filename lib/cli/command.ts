/**
 * How a command is added to `baton` (docs/operations.md lists them):
 *
 *   1. a file in lib/cli/commands/ exporting a `CommandModule`: `register(program, cli)` declares the command with
 *      commander (arguments, options, a description: `--help` comes with it) and hands its handler to
 *      `cli.action(...)`;
 *   2. the module added to `COMMANDS` in lib/cli/commands/index.ts.
 *
 * The handler gets a `CliContext` (the cluster's table and function, looked up once; AWS clients; `report` and
 * `note`, which honour --json), its positional arguments and its options. It returns an exit code (EXIT), or
 * nothing for 0, and throws `badInput(...)` (exit 2) or `failed(...)` (exit 1) with a message that names the field
 * and says what to do: `main` prints it without a stack trace.
 */
import type { Command } from "commander";
import type { CliContext, GlobalOptions } from "./context.js";
import type { ExitCode } from "./exit-codes.js";

export type CommandHandler<O> = (
  ctx: CliContext,
  args: readonly string[],
  options: O & GlobalOptions,
) => Promise<ExitCode | void> | ExitCode | void;

export interface Cli {
  /** The function to pass to commander's `.action()`: builds the context and runs `handler` with it. */
  action<O>(handler: CommandHandler<O>): (...commanderArgs: unknown[]) => Promise<void>;
}

export interface CommandModule {
  register(program: Command, cli: Cli): void;
}

/** `--json` on a command that reports. */
export function withJson(command: Command): Command {
  return command.option("--json", "print the report as JSON (on stdout; progress goes to stderr)");
}
