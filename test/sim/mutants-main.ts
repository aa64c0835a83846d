/**
 * `npm run sim:mutants -- [--schedules K] [--seed S] [--no-liveness] [--mutant NAME] [--all]`: bundles the simulation once as it is (the baseline)
 * and once per mutant (test/sim/mutants.ts) with esbuild, the mutant applied as a literal search/replace
 * when its file is loaded; runs the baseline over K schedules, then each mutant over the same schedules,
 * leaving out those the baseline already fails, until its first violation. A mutant is caught when it
 * fails a schedule that the unmutated code passes. Last line: `mutants: C of M caught`.
 */
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { MUTANTS, type Mutant } from "./mutants.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRY = join(ROOT, "test/sim/main.ts");

function mutate(mutant: Mutant): Plugin {
  const target = join(ROOT, mutant.file);
  return {
    name: `mutant-${mutant.name}`,
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path !== target) return undefined;
        const source = readFileSync(args.path, "utf8");
        const count = source.split(mutant.search).length - 1;
        if (count !== 1) {
          throw new Error(
            `mutant ${mutant.name}: its search text occurs ${count} times in ${mutant.file} (it must occur once); adjust test/sim/mutants.ts`,
          );
        }
        return { contents: source.replace(mutant.search, () => mutant.replace), loader: "ts" };
      });
    },
  };
}

async function bundle(dir: string, name: string, mutant?: Mutant): Promise<string> {
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "silent",
    // Everything in one file, so the bundle runs from a temporary directory.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: mutant ? [mutate(mutant)] : [],
  });
  return outfile;
}

interface SimRun {
  readonly failing: number[];
  readonly lastLine: string;
  readonly output: string;
}

function runSim(bundlePath: string, args: readonly string[]): Promise<SimRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bundlePath, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", fail);
    child.on("exit", () => {
      const failing = [...output.matchAll(/^schedule (\d+): /gm)].map((m) => Number(m[1]));
      const lines = output.trim().split("\n");
      done({ failing, lastLine: lines[lines.length - 1] ?? "", output });
    });
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const schedules = option("--schedules", 10_000);
  // --no-liveness: judge safety only (while known liveness bugs make the baseline and the mutants fail alike).
  const extra = argv.includes("--no-liveness") ? ["--no-liveness"] : [];
  // --mutant NAME: that one only.
  const only = argv.includes("--mutant") ? argv[argv.indexOf("--mutant") + 1] : undefined;
  // --all: the mutants the simulation does not catch yet too (each says why in test/sim/mutants.ts).
  const all = argv.includes("--all") || only !== undefined;
  const mutants = MUTANTS.filter((m) => (only === undefined || m.name === only) && (all || !m.notYetCaught));
  const pending = all ? [] : MUTANTS.filter((m) => m.notYetCaught !== undefined);
  if (mutants.length === 0) throw new Error(`no mutant named ${only}; see test/sim/mutants.ts`);
  const seed = option("--seed", randomInt(0, 2 ** 31));
  const dir = mkdtempSync(join(tmpdir(), "baton-mutants-"));
  try {
    console.log(`mutants: seed ${seed}, up to ${schedules} schedules each`);
    const baseline = await runSim(await bundle(dir, "baseline"), [
      "--schedules",
      String(schedules),
      "--seed",
      String(seed),
      "--explain",
      "0",
      ...extra,
    ]);
    const known = [...new Set(baseline.failing)].sort((a, b) => a - b);
    console.log(`baseline (unmutated): ${baseline.lastLine}`);
    if (known.length > 0) console.log(`  left out of the mutant runs (the baseline fails them): ${known.join(", ")}`);
    let caught = 0;
    for (const mutant of mutants) {
      let path: string;
      try {
        path = await bundle(dir, mutant.name, mutant);
      } catch (error) {
        console.log(`- ${mutant.name}: NOT APPLIED: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const started = performance.now();
      const run = await runSim(path, [
        "--schedules",
        String(schedules),
        "--seed",
        String(seed),
        "--stop-at-first",
        "--explain",
        "0",
        ...(known.length > 0 ? ["--skip", known.join(",")] : []),
        ...extra,
      ]);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const first = run.failing[0];
      if (first !== undefined) {
        caught++;
        const what = /^schedule \d+: (.*)$/m.exec(run.output)?.[1] ?? "";
        console.log(`- ${mutant.name}: caught by schedule ${first} of seed ${seed} in ${seconds} s: ${what}`);
      } else {
        console.log(`- ${mutant.name}: NOT CAUGHT in ${schedules} schedules (${seconds} s): ${mutant.breaks}`);
      }
    }
    for (const mutant of pending) console.log(`- ${mutant.name}: not run (--all runs it): ${mutant.notYetCaught}`);
    console.log(`mutants: ${caught} of ${mutants.length} caught`);
    return caught === mutants.length ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
