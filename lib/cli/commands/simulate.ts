import { parseDuration } from "../../core/duration.js";
import { DefinitionError } from "../../core/definition/index.js";
import { ClusterDefinitionSource } from "../../infra/definition-source.js";
import { checkFaults, formatReport, simulate, type SimulateFault } from "../../sim/simulate.js";
import { type CommandModule, withJson } from "../command.js";
import { badInput } from "../errors.js";
import { EXIT } from "../exit-codes.js";

interface SimulateOptions {
  readonly fail?: string[];
  readonly also?: string[];
  readonly partition?: string[];
  readonly drain?: string[];
  readonly stop?: string[];
  readonly at: string;
  readonly seed: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `baton simulate FILE --fail NODE [--at 30s] [--also NODE…] [--partition NODE] [--drain NODE] [--stop NODE]`: what
 * Baton would do, offline, from the definition alone: the simulation's world (lib/sim) with the real controller,
 * heartbeat function and agents on a virtual clock and modelled AWS latencies (docs/simulation.md). Exit 0 when the
 * simulation ran (whatever it shows), 1 when its oracle saw a safety violation, 2 on bad input.
 */
export const simulateCommand: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("simulate")
        .argument("<file>", "the cluster definition (YAML or JSON)")
        .description(
          "what-if, offline: the real core on a simulated clock shows which groups move where, in which steps, what is fenced, what waits, freezes or fails, and when",
        )
        .option("--fail <node>", "the node dies (power off), repeatable", collect)
        .option("--also <nodes...>", "more nodes that die at the same time")
        .option("--partition <node>", "the node is cut off from AWS both ways (it keeps running), repeatable", collect)
        .option(
          "--drain <node>",
          "an operator drains the node (baton drain): it keeps heartbeating, its groups move off, repeatable",
          collect,
        )
        .option(
          "--stop <node>",
          "the node's agent is stopped (systemctl stop baton-agent: it stops its groups and leaves), repeatable",
          collect,
        )
        .option("--at <duration>", "when the faults strike, after the cluster has settled", "30s")
        .option("--seed <n>", "the seed of the modelled latencies", "1"),
    ).action(
      cli.action<SimulateOptions>(async (ctx, [file], options) => {
        const path = file ?? "";
        let definition;
        try {
          definition = ClusterDefinitionSource.fromFile(path).definition;
        } catch (error) {
          if (error instanceof DefinitionError) throw badInput(error.message);
          throw error;
        }
        const faults: SimulateFault[] = [
          ...[...(options.fail ?? []), ...(options.also ?? [])].map((node) => ({ kind: "fail" as const, node })),
          ...(options.partition ?? []).map((node) => ({ kind: "partition" as const, node })),
          ...(options.drain ?? []).map((node) => ({ kind: "drain" as const, node })),
          ...(options.stop ?? []).map((node) => ({ kind: "stop" as const, node })),
        ];
        if (faults.length === 0)
          throw badInput("simulate needs a fault: --fail NODE, --partition NODE, --drain NODE or --stop NODE");
        const problems = checkFaults(definition, faults);
        if (problems.length > 0) throw badInput(problems.join("\n"));
        const atMs = parseDuration(options.at);
        if (atMs === undefined) throw badInput(`--at ${options.at}: write a duration such as 30s or 2m`);
        const seed = Number(options.seed);
        if (!Number.isInteger(seed)) throw badInput(`--seed ${options.seed}: write a whole number`);
        const report = await simulate(definition, { faults, atMs, seed });
        ctx.report(report, formatReport);
        return report.violations.length > 0 ? EXIT.failed : EXIT.done;
      }),
    );
  },
};
