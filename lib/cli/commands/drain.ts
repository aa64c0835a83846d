import { type CommandModule, withJson } from "../command.js";
import { failed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { intentStore, refusedAsFailure, timeoutOf, wake } from "../intents.js";

interface DrainOptions {
  readonly timeout: string;
  readonly wait: boolean;
}

/**
 * `baton drain NODE`: maintenance (docs/operations.md "Patching a node"). The node's admin item says drained until
 * `resume`, across reboots and agent restarts; the controller moves its groups off gracefully. Waits until the node
 * owns no group.
 */
export const drain: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("drain")
        .argument("<node>", "the node to drain")
        .description("move a node's groups off and place nothing on it until resume (it keeps heartbeating)")
        .option("--timeout <duration>", "how long to wait until it owns nothing (such as 10m)", "10m")
        .option("--no-wait", "drain and return at once"),
    ).action(
      cli.action<DrainOptions>(async (ctx, [node], options) => {
        const nodeId = node ?? "";
        const timeoutMs = timeoutOf(options.timeout);
        const store = await intentStore(ctx);
        const by = await ctx.callerArn();
        await refusedAsFailure(store.drain(nodeId, { by }));
        ctx.note(`${nodeId} drained; its groups move off.`);
        await wake(ctx);
        const deadline = ctx.io.now() + timeoutMs;
        while (options.wait) {
          const snapshot = await store.readSnapshot();
          const owned = [...snapshot.groups.values()]
            .filter((g) => g.owner === nodeId && (g.status === "online" || g.status === "moving"))
            .map((g) => `${g.groupId} (${g.status})`);
          if (owned.length === 0) break;
          ctx.note(`${nodeId} still owns ${owned.join(", ")}`);
          if (ctx.io.now() >= deadline || ctx.io.signal?.aborted === true) {
            throw failed(
              `${nodeId} is drained but still owns ${owned.join(", ")} after --timeout ${options.timeout}; the moves go on: baton status`,
            );
          }
          await ctx.io.sleep(1_000, ctx.io.signal);
        }
        ctx.report(
          { node: nodeId, drained: true, by },
          () => `${nodeId} is drained${options.wait ? " and owns no group" : ""}.`,
        );
        return EXIT.done;
      }),
    );
  },
};
