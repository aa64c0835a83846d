import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One line of the record the services append to (lib/demo/service-script.ts, test/fixtures/agent/recorded-service.sh). */
export interface RecordLine {
  /** Wall clock, ms: read before a start took effect, after a stop had. */
  readonly at: number;
  readonly node: string;
  readonly resource: string;
  readonly action: "start" | "stop";
}

/** The record in `dir`, in time order (the file's order among equal times). */
export function readRecord(dir: string): RecordLine[] {
  const file = join(dir, "record");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const [at, node, resource, action] = line.split(" ");
      if (!/^\d{13}$/.test(at ?? "") || (action !== "start" && action !== "stop") || !node || !resource) {
        throw new Error(`record line ${index + 1} is not "<epoch ms> <node> <resource> start|stop": ${line}`);
      }
      const parsed: RecordLine = { at: Number(at), node, resource, action };
      return { line: parsed, index };
    })
    .sort((a, b) => a.line.at - b.line.at || a.index - b.index)
    .map(({ line }) => line);
}

/** `"node resource action"` per line, for readable expectations. */
export function describeLines(lines: readonly RecordLine[]): string[] {
  return lines.map((l) => `${l.node} ${l.resource} ${l.action}`);
}

/**
 * Times at which resources ran on two nodes at once: for every pair of nodes, every overlap of a
 * run of one (a start to the next stop of that resource there, or to now) with a run of the other,
 * when `sameGroup` says the two resources belong together (by default every resource is of one group).
 * Since starts are recorded early and stops late, an empty answer proves no overlap happened.
 */
export function overlappingRuns(
  lines: readonly RecordLine[],
  sameGroup: (a: string, b: string) => boolean = () => true,
): string[] {
  const runs: { node: string; resource: string; from: number; to: number }[] = [];
  const open = new Map<string, number>();
  for (const line of lines) {
    const key = `${line.node} ${line.resource}`;
    if (line.action === "start") {
      if (!open.has(key)) open.set(key, line.at);
    } else if (open.has(key)) {
      runs.push({ node: line.node, resource: line.resource, from: open.get(key)!, to: line.at });
      open.delete(key);
    }
  }
  for (const [key, from] of open) {
    const [node = "", resource = ""] = key.split(" ");
    runs.push({ node, resource, from, to: Infinity });
  }
  const overlaps: string[] = [];
  for (const a of runs) {
    for (const b of runs) {
      if (a.node < b.node && a.from < b.to && b.from < a.to && sameGroup(a.resource, b.resource)) {
        overlaps.push(
          `${a.node} ran ${a.resource} ${a.from}..${a.to} while ${b.node} ran ${b.resource} ${b.from}..${b.to}`,
        );
      }
    }
  }
  return overlaps;
}
