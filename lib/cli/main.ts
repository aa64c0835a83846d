import { Command, CommanderError } from "commander";
import type { Cli } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { CLUSTER_ENV, CliContext, type GlobalOptions } from "./context.js";
import { describeError } from "./errors.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { type CliIo, processIo } from "./io.js";

const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 failed (an AWS call failed, the cluster refused, a wait timed out); 2 bad input (fix the command).

The cluster: --table NAME (with --function NAME) as given, else the CloudFormation stack baton-<cluster> of
--cluster NAME, of -c FILE's definition, or of ${CLUSTER_ENV}. AWS credentials: the standard chain (AWS_PROFILE,
environment, SSO, instance role). Region: --region, else the definition's, else AWS_REGION or the profile's.
AWS_ENDPOINT_URL is honoured. docs/operations.md has the runbooks.`;

/** The program with every command of COMMANDS, its output sent to `io`. */
export function buildProgram(io: CliIo, cli: Cli): Command {
  const program = new Command("baton")
    .description("Operate a Baton failover cluster: its state, its history, and the operator's actions.")
    .option("--cluster <name>", `the cluster (its stack is baton-<name>); default: ${CLUSTER_ENV}`)
    .option("-c, --config <file>", "the cluster's definition file (names the cluster and its region)")
    .option("--table <name>", "the cluster's table: skips the stack lookup")
    .option("--function <name>", "the controller function (with --table)")
    .option("--region <region>", "AWS region (default: the definition's, else AWS_REGION or the profile's)")
    .addHelpText("after", EXIT_CODES_HELP)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const module of COMMANDS) module.register(program, cli);
  // Every subcommand inherits the program's output and error handling.
  for (const command of program.commands) {
    command
      .exitOverride()
      .showHelpAfterError("(run with --help for usage)")
      .configureHelp({ showGlobalOptions: true })
      .configureOutput(program.configureOutput());
  }
  return program;
}

/** Runs one command line (without `node baton`); resolves to its exit code. Never throws, never prints a stack. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: ExitCode = EXIT.done;
  const contexts: CliContext[] = [];
  const cli: Cli = {
    action:
      (handler) =>
      async (...commanderArgs: unknown[]) => {
        const command = commanderArgs.at(-1) as Command;
        const options = command.optsWithGlobals<GlobalOptions & { json?: boolean }>();
        const positional = commanderArgs
          .slice(0, -2)
          .flat()
          .filter((a): a is string => typeof a === "string");
        const ctx = new CliContext(io, options, options.json === true);
        contexts.push(ctx);
        exitCode = (await handler(ctx, positional, options as Parameters<typeof handler>[2])) ?? EXIT.done;
      },
  };
  try {
    await buildProgram(io, cli).parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has written its message (or the help); usage errors are bad input.
      return error.exitCode === 0 ? EXIT.done : EXIT.badInput;
    }
    const { message, exitCode: code } = describeError(error);
    io.stderr.write(`baton: ${message}\n`);
    if (io.env.BATON_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return code;
  } finally {
    for (const ctx of contexts) ctx.destroy();
  }
  return exitCode;
}

/** The process's entry (bin/baton): Ctrl-C ends --watch and waits cleanly. */
export async function main(argv: readonly string[]): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once("SIGINT", onSignal);
  try {
    return await runCli(argv, processIo(interrupt.signal));
  } finally {
    process.off("SIGINT", onSignal);
  }
}
