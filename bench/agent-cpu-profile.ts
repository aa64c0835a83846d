// `npm run bench:agent -- --profile`: where one agent's CPU goes. Linux `perf record -e cpu-clock` samples the agent's
// threads (not the programs it runs) while node runs with `--perf-basic-prof`, so JavaScript frames have names; the
// bundle is not minified, so esbuild's `// path` comments give each frame its module. Not `node --cpu-prof`: V8's
// profiler samples wall time while the thread is not idle, and spawn() blocks until its child has exec'd, so it
// charges the check programs' start-up to the agent; and its inspector costs more CPU than the agent itself.
// Needs `perf` and kernel.perf_event_paranoid <= 2.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

/** Node's flags for a profiled agent; V8's log (which --perf-basic-prof opens) goes to `dir`, not the working directory. */
export function profiledNodeFlags(dir: string): string[] {
  const log = `--logfile=${join(dir, "v8.log")}`;
  return ["--perf-basic-prof", "--interpreted-frames-native-stack", "--no-logfile-per-isolate", log];
}
const HZ = 1999;

/** Starts sampling `pid` into `<dir>/perf.data`; the returned function stops it. */
export function startPerf(pid: number, dir: string): () => Promise<void> {
  const perf: ChildProcess = spawn(
    "perf",
    [
      "record",
      "-q",
      "-e",
      "cpu-clock",
      "-F",
      String(HZ),
      "-g",
      "--no-inherit",
      "-o",
      join(dir, "perf.data"),
      "-p",
      String(pid),
    ],
    { stdio: "inherit" },
  );
  return async () => {
    perf.kill("SIGINT");
    await new Promise((resolve) => perf.once("exit", resolve));
  };
}

/** Inclusive CPU under these frames (module, function). */
const UNDER: readonly (readonly [string, (module: string, fn: string) => boolean])[] = [
  [
    "one heartbeat exchange (Agent.heartbeat, Agent.send)",
    (m, f) => m === "lib/agent/agent.ts" && /^(heartbeat|send)$/.test(f),
  ],
  ["  SigV4 signing (@smithy/signature-v4)", (m) => m.startsWith("@smithy/signature-v4")],
  ["  the answer's checks (parseAnswer)", (_, f) => f === "parseAnswer"],
  ["the supervisor (decide)", (m, f) => m === "lib/core/agent/supervisor.ts" && f === "decide"],
  ["the clock (lib/agent/clock.ts)", (m) => m === "lib/agent/clock.ts"],
  ["spawning the check programs (fork, exec)", (m, f) => m === "node:child_process" && f === "spawn"],
  ["log lines (lib/agent/log.ts)", (m) => m === "lib/agent/log.ts"],
  ["garbage collection (main thread)", (m, f) => m === "" && /v8::internal::(Heap::|Scavenger|MarkCompact)/.test(f)],
];

/** Prints the CPU sampled in `<dir>/perf.data`: inclusive under `UNDER`, then the largest self times. */
export async function printProfile(dir: string, bundle: string, pid: number, heartbeats: number): Promise<void> {
  const { stdout } = await promisify(execFile)("perf", ["script", "-i", join(dir, "perf.data")], {
    maxBuffer: 1 << 30,
  });
  const moduleOf = bundleModules(bundle);
  const frame = (symbol: string): [string, string] => {
    const js = /^JS:[~^*+]?(\S*) (\S+?)(?::(\d+):\d+)?$/.exec(symbol);
    if (!js) return ["", symbol];
    const module = js[2] === `file://${bundle}` ? moduleOf(Number(js[3])) : js[2]!.replace(/^(node:)?/, "node:");
    return [module, js[1] || "(anonymous)"];
  };
  const msPerSample = 1000 / HZ;
  const self = new Map<string, number>();
  const under = new Map<string, number>();
  let total = 0;
  for (const block of stdout.split("\n\n")) {
    const [header, ...lines] = block.split("\n").filter((l) => l.trim() !== "");
    const tid = /^\S+\s+(\d+)\s/.exec(header ?? "")?.[1];
    if (tid === undefined) continue;
    total += msPerSample;
    const frames = lines.map((l) =>
      frame(
        l
          .trim()
          .replace(/^[0-9a-f]+ /, "")
          .replace(/\+0x[0-9a-f]+ \(.*\)$| \(.*\)$/, ""),
      ),
    );
    // Self time goes to the innermost frame of the agent's own code, else to Node's JS, else to the native leaf.
    const own = frames.find(([m]) => m !== "" && !m.startsWith("node:")) ?? frames.find(([m]) => m !== "");
    const key =
      Number(tid) !== pid
        ? "V8 and libuv worker threads (concurrent GC, compiler)"
        : own
          ? own.join(" ")
          : `native ${frames[0]?.[1]}`;
    self.set(key, (self.get(key) ?? 0) + msPerSample);
    if (Number(tid) !== pid) continue;
    for (const [name, test] of UNDER)
      if (frames.some(([m, f]) => test(m, f))) under.set(name, (under.get(name) ?? 0) + msPerSample);
  }
  const line = (ms: number, name: string) =>
    `    ${ms.toFixed(1).padStart(6)} ms  ${(ms / heartbeats).toFixed(3)} ms/heartbeat  ${((ms / total) * 100).toFixed(0).padStart(3)} %  ${name}`;
  console.log(`  perf: ${total.toFixed(0)} ms of CPU sampled over ${heartbeats} heartbeats; inclusive under:`);
  for (const [name] of UNDER) console.log(line(under.get(name) ?? 0, name));
  console.log("  largest self times (innermost frame of the agent's own code):");
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(line(ms, name));
  console.log(`  perf report -i ${join(dir, "perf.data")} for the rest`);
}

/** Line (1-based) of the unminified bundle → the module esbuild's `// path` comment above it names. */
function bundleModules(bundle: string): (line: number) => string {
  const starts: { line: number; name: string }[] = [];
  readFileSync(bundle, "utf8")
    .split("\n")
    .forEach((text, index) => {
      const match = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(text);
      if (!match) return;
      const name = match[1]!.replace(/^.*node_modules\//, "").replace(/\/dist-(es|cjs)\/.*$/, "");
      starts.push({ line: index + 1, name: name.replace(/^(\.\.\/)+/, "") });
    });
  return (line) => starts.findLast((start) => start.line <= line)?.name ?? "(bundle prologue)";
}
