import { type CommandModule, withJson } from "../command.js";
import { askAndFollow, type FollowOptions } from "../intents.js";

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
      cli.action<FollowOptions>((ctx, [groupId], options) =>
        askAndFollow(
          ctx,
          { groupId: groupId ?? "", action: "move" },
          options,
          (intent) =>
            `Move of ${intent.groupId}${intent.target ? ` to ${intent.target}` : ""} asked (intent ${intent.id}).`,
        ),
      ),
    );
  },
};
