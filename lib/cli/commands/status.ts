import type { ClusterSnapshot } from "../../core/controller/records.js";
import { type CommandModule, withJson } from "../command.js";
import type { CliContext } from "../context.js";
import { badInput, describeError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { ago, columns, isoTime, span } from "../format.js";
import { type GroupStatusReport, type StatusReport, statusReport } from "../status-report.js";

interface StatusOptions {
  readonly watch?: string | true;
}

const DEFAULT_WATCH_S = 2;
/** ANSI: cursor home, clear screen. */
const CLEAR = "\x1b[H\x1b[2J";

/**
 * `baton status`: nodes, groups, the guard and the moves under way, from one strongly consistent read of the table's
 * state partition (the controller's own reader). Read-only: it never runs a pass.
 */
export const status: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("status")
        .description("nodes, groups, the guard and moves under way (read-only: one consistent read of the table)")
        .option("-w, --watch [seconds]", `read again every few seconds (default ${DEFAULT_WATCH_S}) until Ctrl-C`),
    ).action(
      cli.action<StatusOptions>(async (ctx, _args, options) => {
        const everyS =
          options.watch === undefined ? null : options.watch === true ? DEFAULT_WATCH_S : Number(options.watch);
        if (everyS !== null && !(Number.isFinite(everyS) && everyS >= 1)) {
          throw badInput(`--watch ${String(options.watch)}: give a number of seconds, 1 or more, such as --watch 5.`);
        }
        if (everyS === null) {
          ctx.report(await readStatus(ctx), renderStatus);
          return EXIT.done;
        }
        const tty = ctx.io.stdout.isTTY === true && !ctx.json;
        // The first read fails the command (a wrong name, no credentials); a later failure (the network, throttling)
        // is reported on stderr and the watch goes on, showing the last report until a read succeeds.
        const stopped = () => ctx.io.signal?.aborted === true;
        let report = await readStatus(ctx);
        while (!stopped()) {
          if (ctx.json)
            ctx.io.stdout.write(`${JSON.stringify(report)}\n`); // one document per line
          else ctx.io.stdout.write(`${tty ? CLEAR : ""}${renderStatus(report)}\n${tty ? "" : "\n"}`);
          await ctx.io.sleep(everyS * 1_000, ctx.io.signal);
          if (stopped()) break;
          try {
            report = await readStatus(ctx);
          } catch (error) {
            ctx.note(
              `read failed at ${isoTime(ctx.io.now())}, trying again in ${everyS}s: ${describeError(error).message}`,
            );
          }
        }
        return EXIT.done;
      }),
    );
  },
};

/** The status report of one strongly consistent read of the state partition (or of `snapshot`, already read). */
export async function readStatus(ctx: CliContext, read?: ClusterSnapshot): Promise<StatusReport> {
  const target = await ctx.target();
  const snapshot = read ?? (await (await ctx.store()).readSnapshot());
  return statusReport(snapshot, {
    cluster: target.cluster,
    table: target.tableName,
    now: ctx.now(),
    clockSkewMs: ctx.clockSkewMs(),
    definition: ctx.definition(),
  });
}

export function renderStatus(r: StatusReport): string {
  const now = r.readAt;
  const lines: string[] = [];
  lines.push(`Cluster ${r.cluster ?? "(unnamed)"} (table ${r.table}), read ${isoTime(now)}`);
  if (r.clockSkewMs !== 0) {
    lines.push(
      `(this machine's clock is ${span(Math.abs(r.clockSkewMs))} ${r.clockSkewMs > 0 ? "behind" : "ahead of"} AWS's: times and ages below are corrected)`,
    );
  }
  lines.push("", "Nodes");
  if (r.nodes.length === 0) lines.push("  none has sent a heartbeat yet");
  else {
    lines.push(
      columns([
        ["NODE", "STATE", "LAST HEARTBEAT", "AGENT", "RESOURCES"],
        ...r.nodes.map((n) => [
          n.id,
          n.state +
            (n.drained && n.state !== "drained" ? " (drained)" : "") +
            (n.inDefinition === false ? " (not in the definition)" : ""),
          n.lastHeartbeatAt === null ? "never" : ago(n.lastHeartbeatAt, now),
          n.agentVersion ?? "-",
          resourceSummary(n.resources),
        ]),
      ]),
    );
  }
  lines.push("", "Groups");
  if (r.groups.length === 0) lines.push("  none written yet (the controller writes each group at its first pass)");
  else {
    lines.push(
      columns([
        ["GROUP", "STATUS", "OWNER", "EPOCH", "FOR", "STEP", "REASON"],
        ...r.groups.map((g) => [
          g.id,
          g.status,
          g.owner ?? "-",
          String(g.epoch),
          g.since === null ? "-" : span(now - g.since),
          stepText(g),
          g.reason || "-",
        ]),
      ]),
    );
  }
  lines.push("", "Guard");
  lines.push(
    r.guard.frozen
      ? `  FROZEN since ${r.guard.since === null ? "?" : `${isoTime(r.guard.since)} (${ago(r.guard.since, now)})`}: more than half of the nodes fell silent at once; automatic failover is suspended until heartbeats return`
      : `  not frozen (${r.guard.voters} voters${r.guard.countedOut.length > 0 ? `; counted out: ${r.guard.countedOut.join(", ")}` : ""})`,
  );
  lines.push("", "Moves under way");
  if (r.moves.length === 0) lines.push("  none");
  for (const m of r.moves) {
    lines.push(
      `  ${m.group}: ${m.drill ? "drill " : ""}${m.kind} ${m.source ?? "nowhere"} -> ${m.target} (epoch ${m.epoch}), started ${ago(m.startedAt, now)}${m.by === null ? "" : ` by ${m.by}`}; ${m.reason}`,
    );
    if (m.step !== null) {
      const on = [m.step.resourceId, m.step.nodeId && `on ${m.step.nodeId}`].filter(Boolean).join(" ");
      lines.push(
        `    step ${m.step.number}/${m.step.of} ${m.step.kind}${on ? ` ${on}` : ""}, running for ${span(m.step.runningMs)}${m.step.attempts > 0 ? ` (${m.step.attempts} attempts)` : ""}`,
      );
    }
  }
  const open = r.intents.filter((i) => i.state === "pending");
  if (r.intents.length > 0) {
    lines.push("", "Operator intents");
    if (open.length === 0) lines.push("  none pending");
    for (const i of r.intents) {
      lines.push(
        `  ${i.group}: ${i.drill ? "drill" : i.action}${i.target === null ? "" : ` to ${i.target}`} by ${i.by}, ${ago(i.at, now)}: ${i.state}${i.reason === null ? "" : ` (${i.reason})`}`,
      );
    }
  }
  return lines.join("\n");
}

function stepText(g: GroupStatusReport): string {
  const step = g.move?.step;
  if (!step) return "-";
  return `${step.number}/${step.of} ${step.kind} (${span(step.runningMs)})`;
}

function resourceSummary(resources: Readonly<Record<string, string>>): string {
  const counts = new Map<string, number>();
  for (const state of Object.values(resources)) counts.set(state, (counts.get(state) ?? 0) + 1);
  if (counts.size === 0) return "-";
  return [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
}
