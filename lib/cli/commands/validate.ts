import { DefinitionError } from "../../core/definition/index.js";
import { ClusterDefinitionSource } from "../../infra/definition-source.js";
import { type CommandModule, withJson } from "../command.js";
import { EXIT } from "../exit-codes.js";

/** `baton validate FILE`: the definition checked offline, with the messages of `cdk synth` (the same loader). */
export const validate: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("validate")
        .argument("<file>", "the cluster definition (YAML or JSON)")
        .description("check a cluster definition offline, as `cdk synth` does; no AWS call"),
    ).action(
      cli.action((ctx, [file]) => {
        const path = file ?? "";
        try {
          const { definition } = ClusterDefinitionSource.fromFile(path);
          ctx.report(
            {
              file: path,
              valid: true,
              cluster: definition.cluster,
              region: definition.region,
              nodes: definition.nodes.map((n) => n.id),
              groups: definition.groups.map((g) => g.id),
              problems: [],
            },
            (r) =>
              `${r.file}: valid. Cluster ${r.cluster} in ${r.region}: ${r.nodes.length} nodes (${r.nodes.join(", ")}), ${r.groups.length} groups (${r.groups.join(", ")}).`,
          );
          return EXIT.done;
        } catch (error) {
          if (!(error instanceof DefinitionError)) throw error;
          if (ctx.json) {
            ctx.report({ file: path, valid: false, problems: error.problems }, () => "");
          } else {
            ctx.io.stderr.write(`${error.message}\n`);
          }
          return EXIT.badInput;
        }
      }),
    );
  },
};
