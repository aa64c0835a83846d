import { type CommandModule, withJson } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { failUnlessDone, followIntent, intentStore, refusedAsFailure, timeoutOf, wake } from "../intents.js";

interface ResetOptions {
  readonly to?: string;
  readonly timeout: string;
  readonly wait: boolean;
}

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
      cli.action<ResetOptions>(async (ctx, [groupId], options) => {
        const timeoutMs = timeoutOf(options.timeout);
        const store = await intentStore(ctx);
        const by = await ctx.callerArn();
        const intent = await refusedAsFailure(
          store.writeGroupIntent({ groupId: groupId ?? "", action: "reset", target: options.to ?? null, by }),
        );
        ctx.note(`Reset of ${intent.groupId} asked (intent ${intent.id}).`);
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
