import { type CommandModule, withJson } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { failUnlessDone, followIntent, intentStore, refusedAsFailure, timeoutOf, wake } from "../intents.js";

interface MoveOptions {
  readonly to?: string;
  readonly timeout: string;
  readonly wait: boolean;
}

/**
 * `baton move GROUP [--to NODE]`: a planned move, as an operator intent (docs/operations.md "Moving a group"): the
 * source stops the group's resources and confirms, then the target starts them; no fencing.
 */
export const move: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("move")
        .argument("<group>", "the group to move")
        .description("move a group to another node: the source stops and confirms, then the target starts; no fencing")
        .option("--to <node>", "the node to move it to (default: the next preferred one that can take it)")
        .option("--timeout <duration>", "how long to follow the move (such as 5m); it goes on after", "5m")
        .option("--no-wait", "write the intent and return at once"),
    ).action(
      cli.action<MoveOptions>(async (ctx, [groupId], options) => {
        const timeoutMs = timeoutOf(options.timeout);
        const store = await intentStore(ctx);
        const by = await ctx.callerArn();
        const intent = await refusedAsFailure(
          store.writeGroupIntent({ groupId: groupId ?? "", action: "move", target: options.to ?? null, by }),
        );
        ctx.note(
          `Move of ${intent.groupId}${intent.target ? ` to ${intent.target}` : ""} asked (intent ${intent.id}).`,
        );
        await wake(ctx);
        if (!options.wait) {
          ctx.report({ intent, state: "pending" }, () => `Intent ${intent.id} written; baton status follows it.`);
          return EXIT.done;
        }
        const outcome = await followIntent(ctx, intent, timeoutMs);
        ctx.report(
          { intent: outcome.intent, state: outcome.state, reason: outcome.reason, owner: outcome.group?.owner ?? null },
          (o) => `${intent.groupId}: ${o.state}: ${o.reason}`,
        );
        failUnlessDone(outcome);
        return EXIT.done;
      }),
    );
  },
};
