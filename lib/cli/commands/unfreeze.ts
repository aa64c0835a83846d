import { ConditionalCheckFailedException, DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { itemKeys } from "../../aws/table-layout.js";
import { type CommandModule, withJson } from "../command.js";
import { badInput, failed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { readStatus } from "./status.js";

interface UnfreezeOptions {
  readonly yes?: boolean;
}

/**
 * `baton unfreeze --yes`: deletes a frozen mass-failure guard, the override for silent nodes that are really gone
 * (docs/operations.md "A frozen guard that will not thaw"). The next pass counts only the nodes that are up as
 * voters, and fails the groups over (fencing the silent EC2 nodes first). One DeleteItem conditioned on the guard
 * read (still frozen, same version), so it cannot undo a guard the controller changed meanwhile; recorded in the
 * cluster log with the caller's identity.
 */
export const unfreeze: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("unfreeze")
        .description("override a frozen mass-failure guard whose silent nodes are really gone (needs --yes)")
        .option("--yes", "confirm: the silent nodes cannot come back writing (see docs/operations.md)"),
    ).action(
      cli.action<UnfreezeOptions>(async (ctx, _args, options) => {
        const store = await ctx.store();
        const snapshot = await store.readSnapshot();
        const report = await readStatus(ctx, snapshot);
        const guard = snapshot.guard;
        if (guard === null || !guard.frozen) {
          ctx.report(
            { unfrozen: false, reason: "the guard is not frozen" },
            () => "The guard is not frozen: nothing to do.",
          );
          return EXIT.done;
        }
        const silent = report.nodes.filter((n) => n.state !== "up" && n.state !== "drained").map((n) => n.id);
        if (options.yes !== true) {
          throw badInput(
            `the guard is frozen; silent: ${silent.join(", ") || "none"}. Unfreezing fails their groups over: EC2 nodes are fenced (stopped) first, on-premise nodes are trusted to have stopped by themselves. If they cannot come back writing, run again with --yes.`,
          );
        }
        const by = await ctx.callerArn();
        try {
          await ctx.dynamodb.send(
            new DeleteItemCommand({
              TableName: (await ctx.target()).tableName,
              Key: { pk: { S: itemKeys.guard.pk }, sk: { S: itemKeys.guard.sk } },
              ConditionExpression: "#frozen = :true AND #version = :seen",
              ExpressionAttributeNames: { "#frozen": "frozen", "#version": "version" },
              ExpressionAttributeValues: { ":true": { BOOL: true }, ":seen": { N: String(guard.version) } },
            }),
          );
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) {
            throw failed(
              "the guard changed while you looked (a controller pass wrote it): look again with baton status.",
            );
          }
          throw error;
        }
        const at = ctx.io.now();
        await store.appendLog([
          {
            at,
            groupId: null,
            epoch: null,
            event: "guard-deleted",
            outcome: "unfrozen by an operator",
            detail: `by ${by}; silent: ${silent.join(", ") || "none"}`,
          },
        ]);
        ctx.report(
          { unfrozen: true, by, silent },
          () =>
            `Guard deleted. The next controller pass counts only the nodes that are up as voters and fails over the groups of ${silent.join(", ") || "no node"}.`,
        );
        return EXIT.done;
      }),
    );
  },
};
