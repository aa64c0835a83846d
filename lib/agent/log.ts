import type { AgentLog } from "./edges.js";
import type { AgentConfig } from "../core/agent/config.js";

export interface LogOptions {
  /** Where each line goes. @default process.stdout: journald keeps the agent's stdout. */
  readonly write?: (line: string) => void;
  /** Timestamps of the lines (wall time is fine here: it is only read by people). @default new Date() */
  readonly now?: () => Date;
  /** The lowest level written: debug lines (programs' output) are dropped unless it is debug. @default "info" */
  readonly level?: LogLevel;
}

export type LogLevel = NonNullable<AgentConfig["logLevel"]>;

type Level = "debug" | "info" | "warn" | "error";

/**
 * The agent's log: one JSON object per line on stdout, `{"time","level","message",...attributes}`.
 * Errors among the attributes are written as `{name, message, cause}`, never as a stack trace, and a
 * value that cannot be serialized (a cycle, a bigint) never makes logging throw.
 */
export function createLog(options: LogOptions = {}): AgentLog {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const debug = options.level === "debug";
  const emit = (level: Level, message: string, attributes: Record<string, unknown> = {}): void => {
    write(`${serialize({ time: now().toISOString(), level, message, ...attributes })}\n`);
  };
  return {
    debug: (message, attributes) => {
      if (debug) emit("debug", message, attributes);
    },
    info: (message, attributes) => emit("info", message, attributes),
    warn: (message, attributes) => emit("warn", message, attributes),
    error: (message, attributes) => emit("error", message, attributes),
  };
}

function serialize(entry: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(entry, (_key, value: unknown) => {
      if (typeof value === "bigint") return value.toString();
      if (value instanceof Error) return describeError(value);
      if (typeof value === "object" && value !== null) {
        if (seen.has(value)) return "[circular]";
        seen.add(value);
      }
      return value;
    });
  } catch (error) {
    return JSON.stringify({ time: entry.time, level: entry.level, message: entry.message, logError: String(error) });
  }
}

/** An error as name, message, code and its chain of causes (at most 5 deep, so a cycle ends). */
function describeError(error: Error, depth = 0): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error && depth < 5 ? describeError(error.cause, depth + 1) : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(cause ? { cause } : {}),
  };
}
