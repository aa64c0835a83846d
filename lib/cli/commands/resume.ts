import { type CommandModule, withJson } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { intentStore, refusedAsFailure, wake } from "../intents.js";

interface ResumeOptions {
  readonly failback?: boolean;
}

/**
 * `baton resume NODE [--failback]`: ends a drain. Without --failback groups may be placed on the node again but none
 * returns on its own; with it, groups whose preferred owner it is return under their failback policy.
 */
export const resume: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("resume")
        .argument("<node>", "the drained node")
        .description("end a node's drain; --failback lets its groups return under their failback policy")
        .option(
          "--failback",
          "let groups whose preferred owner it is return to it (their failback policy decides when)",
        ),
    ).action(
      cli.action<ResumeOptions>(async (ctx, [node], options) => {
        const nodeId = node ?? "";
        const store = await intentStore(ctx);
        const by = await ctx.callerArn();
        const failback = options.failback === true;
        await refusedAsFailure(store.resume(nodeId, { by, failback }));
        if (failback) await wake(ctx);
        ctx.report(
          { node: nodeId, drained: false, failback, by },
          () =>
            `${nodeId} resumed: groups may be placed on it${failback ? " and fail back to it under their failback policy" : "; none fails back to it on its own (resume --failback for that)"}.`,
        );
        return EXIT.done;
      }),
    );
  },
};
