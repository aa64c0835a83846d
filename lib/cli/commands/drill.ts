import { type CommandModule, withJson } from "../command.js";
import type { CliContext } from "../context.js";
import { columns, span } from "../format.js";
import { EXIT } from "../exit-codes.js";
import {
  failUnlessDone,
  followIntent,
  intentStore,
  moveTimings,
  refusedAsFailure,
  type StepTiming,
  timeoutOf,
  wake,
} from "../intents.js";

interface DrillOptions {
  readonly to?: string;
  readonly back?: boolean;
  readonly timeout: string;
}

interface DrillLeg {
  readonly from: string | null;
  readonly to: string | null;
  readonly epoch: number | null;
  readonly state: string;
  readonly reason: string;
  readonly totalMs: number | null;
  readonly steps: readonly StepTiming[];
}

/**
 * `baton drill GROUP [--to NODE] [--back]`: a failover rehearsal (docs/operations.md "Rehearsing a failover"): a
 * planned move made as a drill, refused unless the group is online on a live owner; each step's duration and the
 * total from the cluster log; with --back, the move back to where it was.
 */
export const drill: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("drill")
        .argument("<group>", "the group to rehearse a failover of")
        .description("rehearse a failover: move the group, time each step, optionally move it back, and report")
        .option("--to <node>", "the node to move it to (default: the next preferred one that can take it)")
        .option("--back", "move it back to its owner afterwards, and time that too")
        .option("--timeout <duration>", "how long each move may take (such as 5m)", "5m"),
    ).action(
      cli.action<DrillOptions>(async (ctx, [groupId], options) => {
        const timeoutMs = timeoutOf(options.timeout);
        const store = await intentStore(ctx);
        const by = await ctx.callerArn();
        const legs: DrillLeg[] = [];
        const leg = async (target: string | null): Promise<DrillLeg & { done: boolean }> => {
          const before = (await store.readSnapshot()).groups.get(groupId ?? "");
          const intent = await refusedAsFailure(
            store.writeGroupIntent({ groupId: groupId ?? "", action: "move", target, drill: true, by }),
          );
          ctx.note(
            `Drill: moving ${intent.groupId} from ${before?.owner ?? "nowhere"}${target ? ` to ${target}` : ""}...`,
          );
          await wake(ctx);
          const outcome = await followIntent(ctx, intent, timeoutMs);
          const epoch = outcome.intent.epoch ?? null;
          const timings =
            epoch === null
              ? { steps: [], totalMs: null }
              : await moveTimings(ctx, intent.groupId, epoch, intent.at, outcome.state === "done");
          const result = {
            from: before?.owner ?? null,
            to: outcome.group?.owner ?? null,
            epoch,
            state: outcome.state,
            reason: outcome.reason,
            ...timings,
          };
          legs.push(result);
          if (outcome.state !== "done") {
            report(ctx, groupId ?? "", legs);
            failUnlessDone(outcome);
          }
          return { ...result, done: true };
        };
        const first = await leg(options.to ?? null);
        if (options.back === true && first.from !== null) await leg(first.from);
        report(ctx, groupId ?? "", legs);
        return EXIT.done;
      }),
    );
  },
};

function report(ctx: CliContext, groupId: string, legs: readonly DrillLeg[]): void {
  ctx.report({ group: groupId, legs }, () =>
    legs
      .map((l) =>
        [
          `${groupId}: ${l.from ?? "nowhere"} -> ${l.to ?? "?"} (epoch ${l.epoch ?? "-"}): ${l.state}, ${l.totalMs === null ? "total unknown" : `total ${span(l.totalMs)}`}`,
          columns([
            ["STEP", "OUTCOME", "TOOK"],
            ...l.steps.map((s) => [s.step, s.outcome ?? "", s.durationMs === null ? "" : span(s.durationMs)]),
          ]),
        ].join("\n"),
      )
      .join("\n\n"),
  );
}
