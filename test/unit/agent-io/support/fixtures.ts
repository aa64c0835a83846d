import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AgentLog } from "../../../../lib/agent/edges.js";

/** The fixture scripts of test/fixtures/agent, by name. */
export function fixture(name: string): string {
  return resolve("test/fixtures/agent", name);
}

/** A scratch directory, removed by `cleanup`. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "baton-agent-io-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The calls the fixtures recorded in `file` (see record-call.sh): one array of name and arguments each. */
export function recordedCalls(file: string): string[][] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t"));
}

export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** An AgentLog that keeps its entries. */
export function memoryLog(): AgentLog & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (message: string, attributes: Record<string, unknown> = {}) =>
      entries.push({ level, message, attributes });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Whether `pid` is a live process (a zombie waiting for its parent counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Reads "pid pid ..." that a fixture wrote. */
export function readPids(file: string): number[] {
  return readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
}
