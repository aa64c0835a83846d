import { parseDuration } from "../../core/duration.js";
import { type CommandModule, withJson } from "../command.js";
import { badInput } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { columns, isoTime, span } from "../format.js";
import { concerns, type LogEntry, readLog } from "../history.js";

interface HistoryOptions {
  readonly since: string;
}

/** `baton history [GROUP|NODE] [--since 2h]`: the cluster log as a timeline, across its day partitions. */
export const history: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("history")
        .argument("[subject]", "only entries about this group or node")
        .description(
          "the cluster log as a timeline: failovers and their steps, nodes going down and up, guard changes, operator actions",
        )
        .option("--since <when>", "how far back: a duration (30m, 2h, 3d) or an ISO time (2026-11-30T08:00Z)", "24h"),
    ).action(
      cli.action<HistoryOptions>(async (ctx, [subject], options) => {
        const now = ctx.io.now();
        const since = parseSince(options.since, now);
        const definition = ctx.definition();
        if (subject !== undefined && definition !== null) {
          const known = [...definition.nodes.map((n) => n.id), ...definition.groups.map((g) => g.id)];
          if (!known.includes(subject)) {
            throw badInput(
              `${subject}: no group or node of that name in ${ctx.options.config}; known: ${known.join(", ")}.`,
            );
          }
        }
        const { tableName } = await ctx.target();
        const all = await readLog(ctx.dynamodb, tableName, since, now);
        const entries = subject === undefined ? all : all.filter((e) => concerns(e, subject));
        ctx.report({ subject: subject ?? null, since, until: now, entries }, (r) =>
          renderHistory(r.entries, r.subject, since),
        );
        return EXIT.done;
      }),
    );
  },
};

function parseSince(text: string, now: number): number {
  const ms = parseDuration(text);
  if (ms !== undefined) return now - ms;
  const at = Date.parse(text);
  if (Number.isFinite(at) && /^\d{4}-\d{2}-\d{2}/.test(text)) return at;
  throw badInput(
    `--since ${text}: give a duration (a whole number and ms, s, m, h or d, such as 30m or 2h) or an ISO time such as 2026-11-30T08:00Z.`,
  );
}

function renderHistory(entries: readonly LogEntry[], subject: string | null, since: number): string {
  const about = subject === null ? "" : ` about ${subject}`;
  if (entries.length === 0) return `No log entries${about} since ${isoTime(since)}.`;
  return [
    `${entries.length} log entries${about} since ${isoTime(since)}:`,
    columns([
      ["TIME (UTC)", "GROUP", "EPOCH", "EVENT", "STEP", "OUTCOME", "TOOK", "DETAIL"],
      ...entries.map((e) => [
        new Date(e.at).toISOString().replace("T", " ").replace("Z", ""),
        e.group ?? "-",
        e.epoch === null ? "-" : String(e.epoch),
        e.event,
        e.step ?? "-",
        e.outcome ?? "-",
        e.durationMs === null ? "-" : span(e.durationMs),
        [e.detail, ...Object.entries(e.more).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)]
          .filter(Boolean)
          .join("; ") || "-",
      ]),
    ]),
  ].join("\n");
}
