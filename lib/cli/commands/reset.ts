import { type CommandModule, withJson } from "../command.js";
import { askAndFollow, type FollowOptions } from "../intents.js";

/**
 * `baton reset GROUP [--to NODE]`: a `failed` group back to service, as an operator intent (docs/operations.md
 * "Restarting a failed group"): failover count cleared, old owner and unfreed sources kept (fenced when silent).
 */
export const reset: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("reset")
        .argument("<group>", "the failed group")
        .description("bring a failed group back to service (its old owner is fenced first when silent)")
        .option("--to <node>", "place it on this node (default: its most preferred node that is up)")
        .option("--timeout <duration>", "how long to follow it (such as 5m); it goes on after", "5m")
        .option("--no-wait", "write the intent and return at once"),
    ).action(
      cli.action<FollowOptions>((ctx, [groupId], options) =>
        askAndFollow(
          ctx,
          { groupId: groupId ?? "", action: "reset" },
          options,
          (intent) => `Reset of ${intent.groupId} asked (intent ${intent.id}).`,
        ),
      ),
    );
  },
};
