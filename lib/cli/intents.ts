/**
 * What the acting commands share (`move`, `reset`, `drill`, `drain`, `resume`): the intent store over the cluster's
 * table, the wake-up of the controller, and the wait for an intent's outcome with one line per step.
 */
import { wakeController } from "../aws/controller-waker.js";
import { DynamoIntentStore, IntentRefusedError } from "../aws/intent-store.js";
import type { GroupIntent, GroupIntentAction } from "../core/controller/intents.js";
import { describeStep } from "../core/controller/plan-builder.js";
import type { GroupRecord } from "../core/controller/records.js";
import { parseDuration } from "../core/duration.js";
import type { CliContext } from "./context.js";
import { badInput, failed } from "./errors.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { type LogEntry, readLog } from "./history.js";

/** How often the wait reads the table (one strongly consistent Query of the state partition). */
const POLL_MS = 1_000;

export async function intentStore(ctx: CliContext): Promise<DynamoIntentStore> {
  return new DynamoIntentStore(ctx.dynamodb, (await ctx.target()).tableName, ctx.definition(), () => ctx.io.now());
}

/** `--timeout` as milliseconds; bad input when it is not a duration. */
export function timeoutOf(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw badInput(`--timeout ${value}: give a duration such as 90s or 10m.`);
  return ms;
}

/** A refusal from the store as the CLI reports it (exit 1, the reason as it is). */
export async function refusedAsFailure<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof IntentRefusedError) throw failed(error.message);
    throw error;
  }
}

/** Wakes the controller, or says why the next scheduled pass will carry the intent out. */
export async function wake(ctx: CliContext): Promise<boolean> {
  const woken = await wakeController(ctx.lambda, (await ctx.target()).functionName);
  if (!woken.woken)
    ctx.note(`The controller was not woken up (${woken.why}): its next scheduled pass carries this out.`);
  return woken.woken;
}

export interface IntentOutcome {
  readonly intent: GroupIntent;
  /** The group as last read. */
  readonly group: GroupRecord | null;
  readonly state: "done" | "refused" | "failed" | "superseded" | "timeout";
  readonly reason: string;
}

/**
 * Follows a group intent until the move it started completes (the group online under the intent's epoch), fails, is
 * replaced by another plan, the intent is refused, or `timeoutMs` passes. Prints a line each time the step changes.
 */
export async function followIntent(ctx: CliContext, intent: GroupIntent, timeoutMs: number): Promise<IntentOutcome> {
  const store = await intentStore(ctx);
  const deadline = ctx.io.now() + timeoutMs;
  let lastLine = "";
  let current = intent;
  const line = (text: string) => {
    if (text !== lastLine) ctx.note(text);
    lastLine = text;
  };
  // Every step of the move is printed once, in order, also those that began and ended between two reads (a
  // stop confirmed within a second): the plan read last says which steps there are and which one runs; a move that
  // began and ended between two reads is told from the cluster log.
  let seen: { readonly plan: NonNullable<GroupRecord["plan"]>; printed: number } | null = null;
  const printSteps = (upTo: number) => {
    if (seen === null) return;
    const { plan } = seen;
    for (let i = seen.printed + 1; i <= Math.min(upTo, plan.steps.length - 1); i++) {
      line(`${intent.groupId}: ${plan.source ?? "nowhere"} -> ${plan.target}: ${describeStep(plan.steps[i]!)}`);
    }
    seen.printed = Math.max(seen.printed, upTo);
  };
  for (;;) {
    const snapshot = await store.readSnapshot();
    current = snapshot.intents?.get(intent.groupId)?.id === intent.id ? snapshot.intents.get(intent.groupId)! : current;
    const group = snapshot.groups.get(intent.groupId) ?? null;
    const plan = group?.plan ?? null;
    if (plan !== null && current.state === "taken" && (current.epoch === undefined || plan.epoch === current.epoch)) {
      if (seen === null || seen.plan.epoch !== plan.epoch) seen = { plan, printed: -1 };
      else seen = { plan, printed: seen.printed };
      printSteps(plan.stepIndex);
    }
    const outcome = judge(current, group);
    if (outcome) {
      if (outcome.state === "done" && seen !== null) printSteps(Number.MAX_SAFE_INTEGER);
      // The whole move began and ended between two reads (no plan was ever read): its steps from the cluster log.
      if (outcome.state === "done" && seen === null && current.epoch !== undefined) {
        const move = await loggedMove(ctx, intent.groupId, current.epoch, intent.at, true);
        for (const step of move.steps) line(`${intent.groupId}: ${move.route}: ${step.step}`);
      }
      return { intent: current, group, ...outcome };
    }
    if (current.state === "pending") line(`${intent.groupId}: waiting for the controller to take the intent`);
    if (ctx.io.now() >= deadline || ctx.io.signal?.aborted === true) {
      return {
        intent: current,
        group,
        state: "timeout",
        reason: `not done within the --timeout (${current.state === "pending" ? "the intent is still pending" : `the group is ${group?.status ?? "unknown"}`}); it goes on: follow it with baton status`,
      };
    }
    await ctx.io.sleep(POLL_MS, ctx.io.signal);
  }
}

function judge(intent: GroupIntent, group: GroupRecord | null): Pick<IntentOutcome, "state" | "reason"> | null {
  if (intent.state === "refused") return { state: "refused", reason: intent.reason ?? "refused by the controller" };
  if (intent.state !== "taken" || group === null) return null;
  if (intent.epoch === undefined) {
    // A reset without --to: taken once the group is out of `failed`.
    return group.status === "failed" ? null : { state: "done", reason: `reset: the group is ${group.status}` };
  }
  if (group.epoch > intent.epoch) {
    return { state: "superseded", reason: `another move (epoch ${group.epoch}) replaced it: ${group.statusReason}` };
  }
  if (group.epoch < intent.epoch) return null;
  if (group.status === "online") return { state: "done", reason: `online on ${group.owner}` };
  if (group.status === "failed") return { state: "failed", reason: group.statusReason };
  if (group.status === "offline") return { state: "failed", reason: `waiting offline: ${group.statusReason}` };
  return null;
}

/** Ends a command on an outcome that is not done: exit 1 with the reason. */
export function failUnlessDone(outcome: IntentOutcome): void {
  if (outcome.state === "done") return;
  const what = outcome.intent.drill ? "drill" : outcome.intent.action;
  throw failed(`${what} of ${outcome.intent.groupId} ${outcome.state}: ${outcome.reason}`);
}

/** What `move` and `reset` share: the options that follow an intent. */
export interface FollowOptions {
  readonly to?: string;
  readonly timeout: string;
  readonly wait: boolean;
}

/**
 * Writes a group intent (`move` or `reset`) with the caller's identity, wakes the controller, and follows the
 * intent until done, failed or `--timeout` (or returns at once with `--no-wait`). `asked` is the line saying what
 * was asked.
 */
export async function askAndFollow(
  ctx: CliContext,
  request: { readonly groupId: string; readonly action: GroupIntentAction },
  options: FollowOptions,
  asked: (intent: GroupIntent) => string,
): Promise<ExitCode> {
  const timeoutMs = timeoutOf(options.timeout);
  const store = await intentStore(ctx);
  const by = await ctx.callerArn();
  const intent = await refusedAsFailure(store.writeGroupIntent({ ...request, target: options.to ?? null, by }));
  ctx.note(asked(intent));
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
}

export interface StepTiming {
  readonly step: string;
  readonly outcome: string | null;
  readonly durationMs: number | null;
}

/**
 * The steps of the move under `epoch` and their durations, from the cluster log; the total from its completion.
 * `completed`: the group was read online under `epoch`, so the completion's entries are awaited (see loggedMove).
 */
export async function moveTimings(
  ctx: CliContext,
  groupId: string,
  epoch: number,
  since: number,
  completed: boolean,
): Promise<{ steps: StepTiming[]; totalMs: number | null }> {
  const { steps, totalMs } = await loggedMove(ctx, groupId, epoch, since, completed);
  return { steps, totalMs };
}

/** How many more reads of the log a completed move's last entries are awaited for, POLL_MS apart. */
const LOG_LAG_READS = 3;

/**
 * The move under `epoch` as the cluster log tells it: `source -> target` as the plan line says it, steps, total.
 * A pass appends its entries after it writes the groups, so a move read `completed` may not be in the log to its end
 * yet: its `failover-completed` entry is awaited for LOG_LAG_READS more reads, then what there is is told.
 */
async function loggedMove(
  ctx: CliContext,
  groupId: string,
  epoch: number,
  since: number,
  completed: boolean,
): Promise<{ route: string; steps: StepTiming[]; totalMs: number | null }> {
  const tableName = (await ctx.target()).tableName;
  const readMine = async (): Promise<LogEntry[]> =>
    (await readLog(ctx.dynamodb, tableName, since - 60_000, ctx.io.now() + 1_000)).filter(
      (e) => e.group === groupId && e.epoch === epoch,
    );
  let mine = await readMine();
  for (let read = 0; completed && read < LOG_LAG_READS && !mine.some((e) => e.event === "failover-completed"); read++) {
    await ctx.io.sleep(POLL_MS, ctx.io.signal);
    mine = await readMine();
  }
  const started = mine.find((e) => e.event === "failover-started")?.outcome ?? "? -> ?";
  return {
    // The log says "-" where the plan line says "nowhere" (a group placed from no owner).
    route: started.replace(/^- ->/, "nowhere ->"),
    steps: mine
      .filter((e) => e.event === "step")
      .map((e) => ({ step: e.step ?? "?", outcome: e.outcome, durationMs: e.durationMs })),
    totalMs: mine.find((e) => e.event === "failover-completed")?.durationMs ?? null,
  };
}
