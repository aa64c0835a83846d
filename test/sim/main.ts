/**
 * `npm run sim -- [--schedules N] [--seed S | --seed-from-commit] [--workers W] [--only I] [--trace]`
 *
 * Runs N seeded schedules (default 10,000, a fresh seed unless given) over W worker processes (default 2).
 * `--seed-from-commit` takes the seed from the checked-out commit (its hash's first 31 bits; a fresh seed, said so,
 * outside a git checkout): `npm test` uses it, so CI runs exactly the schedules a run of the same commit ran here,
 * and every commit still runs schedules no commit ran before. A violation it finds is fixed, never re-rolled.
 * Schedule i of seed S is the same on every run, so `--seed S --schedules N` replays a run exactly and
 * `--seed S --only I` replays one schedule with its whole trace. A violating schedule is shrunk and its
 * trace printed. The last line is `sim: N schedules, V violations, seed S`; the exit code is 1 on any.
 */
import { execFileSync, fork } from "node:child_process";
import { randomInt } from "node:crypto";
import { describeFault, type Schedule } from "./faults.js";
import { runSchedule } from "./run-schedule.js";
import { scheduleFor } from "./schedules.js";
import { shrink } from "./shrink.js";
import type { Violation } from "./oracle.js";

interface Options {
  schedules: number;
  seed: number;
  workers: number;
  only?: number;
  trace: boolean;
  /** Stop at the first violating schedule (mutants). */
  stopAtFirst: boolean;
  /** Worker mode: this worker's share. */
  worker?: { index: number; of: number };
  /** Print at most this many shrunk traces. */
  explain: number;
  liveness: boolean;
  /** Fault kinds left out of every schedule. */
  without: string[];
  /** Schedule indices left out (mutants: those the unmutated code already fails). */
  skip: Set<number>;
}

/** The seed of the checked-out commit: the first 31 bits of its hash; undefined (said on stderr) outside git. */
function seedFromCommit(): number | undefined {
  try {
    const hash = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return Number.parseInt(hash.trim().slice(0, 8), 16) >>> 1;
  } catch {
    console.error("sim: no git commit here: --seed-from-commit takes a fresh seed");
    return undefined;
  }
}

function parse(argv: readonly string[]): Options {
  const options: Options = {
    schedules: 10_000,
    seed: randomInt(0, 2 ** 31),
    workers: 2,
    trace: false,
    stopAtFirst: false,
    explain: 3,
    liveness: true,
    without: [],
    skip: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${arg} needs a whole number, got ${argv[i]}`);
      return v;
    };
    if (arg === "--schedules") options.schedules = value();
    else if (arg === "--seed") options.seed = value();
    else if (arg === "--seed-from-commit") options.seed = seedFromCommit() ?? options.seed;
    else if (arg === "--workers") options.workers = Math.max(1, value());
    else if (arg === "--only") options.only = value();
    else if (arg === "--explain") options.explain = value();
    else if (arg === "--trace") options.trace = true;
    else if (arg === "--stop-at-first") options.stopAtFirst = true;
    else if (arg === "--no-liveness") options.liveness = false;
    else if (arg === "--skip") options.skip = new Set((argv[++i] ?? "").split(",").filter(Boolean).map(Number));
    else if (arg === "--without") options.without = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg === "--worker") options.worker = { index: value(), of: value() };
    else
      throw new Error(
        `unknown option ${arg}; use --schedules N [--seed S | --seed-from-commit] [--workers W] [--only I] [--trace] [--stop-at-first] [--no-liveness] [--without kind,...] [--explain K]`,
      );
  }
  return options;
}

interface Found {
  readonly index: number;
  readonly violations: readonly Violation[];
}

type WorkerMessage =
  | { readonly type: "found"; readonly found: Found }
  | { readonly type: "done"; readonly ran: number; readonly events: number };

/** Runs this worker's share of the schedules; reports each violating one. */
async function work(options: Options, send: (m: WorkerMessage) => void): Promise<void> {
  const { index, of } = options.worker ?? { index: 0, of: 1 };
  let ran = 0;
  let events = 0;
  for (let i = index; i < options.schedules; i += of) {
    if (options.skip.has(i)) continue;
    const result = await runSchedule(scheduleFor(options.seed, i, options.without), { liveness: options.liveness });
    ran++;
    events += result.events;
    if (result.violations.length > 0) {
      send({ type: "found", found: { index: i, violations: result.violations } });
      if (options.stopAtFirst) break;
    }
  }
  send({ type: "done", ran, events });
}

/** Trace lines left out of a printed trace: lost heartbeats and answers (the faults that cause them are listed). */
const NOISE = /heartbeat \d+ (lost on the way|got no answer)|answer to heartbeat \d+ .*lost on the way back/;

async function explain(seed: number, index: number, options: Options): Promise<void> {
  const { liveness, without } = options;
  const original = scheduleFor(seed, index, without);
  const { schedule, result, runs } = await shrink(original, { liveness });
  const first = result.violations[0];
  console.log(`\n=== schedule ${index} of seed ${seed}: ${first?.kind}: ${first?.text}`);
  const flags = `${liveness ? "" : " --no-liveness"}${without.length > 0 ? ` --without ${without.join(",")}` : ""}`;
  console.log(`replay: npm run sim -- --seed ${seed} --only ${index} --trace${flags}`);
  console.log(`faults (${original.faults.length + (original.final ? 1 : 0)}), shrunk in ${runs} runs to:`);
  for (const f of schedule.faults) console.log(`  - ${describeFault(f)}`);
  if (schedule.final)
    console.log(`  - final: ${schedule.final.node} ${schedule.final.how} at +${schedule.final.at} ms`);
  console.log(`shrunk schedule: ${JSON.stringify(schedule)}`);
  const lines = result.trace.format().filter((l) => !NOISE.test(l));
  console.log(`trace (last ${Math.min(lines.length, 70)} of ${lines.length} lines, lost heartbeats left out):`);
  for (const line of lines.slice(-70)) console.log(`  ${line}`);
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  if (options.worker) {
    await work(options, (m) => process.send?.(m));
    return 0;
  }
  if (options.only !== undefined) {
    const schedule: Schedule = scheduleFor(options.seed, options.only, options.without);
    const result = await runSchedule(schedule, { liveness: options.liveness });
    console.log(`schedule ${options.only} of seed ${options.seed}: ${JSON.stringify(schedule)}`);
    if (options.trace) for (const line of result.trace.format()) console.log(line);
    for (const v of result.violations) console.log(`VIOLATION ${v.kind}: ${v.text}`);
    if (result.violations.length > 0) await explain(options.seed, options.only, options);
    console.log(`sim: 1 schedules, ${result.violations.length > 0 ? 1 : 0} violations, seed ${options.seed}`);
    return result.violations.length > 0 ? 1 : 0;
  }
  console.log(`sim: seed ${options.seed}, ${options.schedules} schedules over ${options.workers} workers`);
  const started = performance.now();
  const found: Found[] = [];
  let ran = 0;
  let events = 0;
  const children: ReturnType<typeof fork>[] = [];
  await Promise.all(
    Array.from(
      { length: Math.min(options.workers, Math.max(1, options.schedules)) },
      (_, w) =>
        new Promise<void>((resolve, reject) => {
          const args = [
            ...process.argv.slice(2),
            "--worker",
            String(w),
            String(options.workers),
            "--seed",
            String(options.seed),
          ];
          const child = fork(process.argv[1]!, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
          children.push(child);
          child.on("message", (m: WorkerMessage) => {
            if (m.type === "found") {
              found.push(m.found);
              const v = m.found.violations[0];
              console.log(`schedule ${m.found.index}: ${v?.kind}: ${v?.text}`);
              if (options.stopAtFirst) for (const c of children) c.kill();
            } else {
              ran += m.ran;
              events += m.events;
            }
          });
          child.on("exit", (code, signal) =>
            code === 0 || signal === "SIGTERM"
              ? resolve()
              : reject(new Error(`worker ${w} exited with ${code ?? signal}`)),
          );
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `ran ${ran} schedules (${events} events) in ${seconds.toFixed(1)} s: ${(ran / seconds).toFixed(1)} schedules/s`,
  );
  found.sort((a, b) => a.index - b.index);
  const byKind = new Map<string, number>();
  for (const f of found)
    for (const k of new Set(f.violations.map((v) => v.kind))) byKind.set(k, (byKind.get(k) ?? 0) + 1);
  if (found.length > 0)
    console.log(`violating schedules by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  // Shrink and print the first schedule of each kind of violation, then more of the first kinds, up to --explain.
  const firstOfKind = new Map<string | undefined, Found>();
  for (const f of found) if (!firstOfKind.has(f.violations[0]?.kind)) firstOfKind.set(f.violations[0]?.kind, f);
  const chosen = [...new Set([...firstOfKind.values(), ...found])].slice(0, options.explain);
  for (const f of chosen) await explain(options.seed, f.index, options);
  console.log(
    `sim: ${options.stopAtFirst ? ran : options.schedules} schedules, ${found.length} violations, seed ${options.seed}`,
  );
  return found.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
