import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  describeRun,
  formatArgv,
  OUTPUT_TAIL_BYTES,
  outputTail,
  ProgramNotRunError,
  run,
} from "../../../lib/agent/exec.js";
import { fixture, isAlive, readPids, recordedCalls, scratchDir } from "./support/fixtures.js";

let dir: string;
let cleanup: () => void;
const leftovers: number[] = [];

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
  vi.stubEnv("BATON_FIXTURE_CALLS", join(dir, "calls"));
});

afterEach(() => {
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  vi.unstubAllEnvs();
  cleanup();
});

describe("run", () => {
  it("does not pass the agent's proxy settings (which may hold a password) to the programs it runs", async () => {
    // Prepare: the agent's own environment names a proxy with a password, in every spelling.
    const names = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
    for (const name of names) vi.stubEnv(name, "http://agent:s3cret@proxy.example:3128");
    vi.stubEnv("NO_PROXY", "localhost");
    vi.stubEnv("no_proxy", "localhost");
    vi.stubEnv("BATON_TEST_KEPT", "kept");
    // Act
    const result = await run(["/usr/bin/env"], { timeoutMs: 10_000 });
    // Assess: the rest of the environment is passed as it is.
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("BATON_TEST_KEPT=kept\n");
    expect(result.stdout).not.toContain("s3cret");
    expect(result.stdout).not.toMatch(/^(?:https?|all|no)_proxy=/im);
  });

  it("passes arguments to the program literally: no shell expands $(...), ; or *", async () => {
    // Prepare
    const marker = join(dir, "pwned");
    const args = [`$(touch ${marker})`, "a; touch b", "*", "with space", "'quoted'"];
    // Act
    const result = await run([fixture("exit-with.sh"), "0", ...args], { timeoutMs: 10_000 });
    // Assess
    expect(result.exitCode).toBe(0);
    expect(recordedCalls(join(dir, "calls"))).toEqual([["exit-with.sh", "0", ...args]]);
    expect(existsSync(marker)).toBe(false);
  });

  it("answers the exit code and the output of a program that fails", async () => {
    // Act
    const result = await run([fixture("exit-with.sh"), "7", "x"], { timeoutMs: 10_000 });
    // Assess
    expect(result).toMatchObject({ exitCode: 7, signal: null, timedOut: false, stillRunning: false });
    expect(result.stdout).toBe("exit-with stdout: 7 x\n");
    expect(result.stderr).toBe("exit-with stderr: failing with 7\n");
    expect(describeRun(result, 10_000)).toBe("exited with code 7");
    expect(outputTail(result)).toBe(": exit-with stderr: failing with 7");
  });

  it("keeps only the last 8 KiB of a long output, where the error usually is", async () => {
    // Act
    const result = await run([fixture("noisy.sh"), "100000"], { timeoutMs: 10_000 });
    // Assess
    expect(result.exitCode).toBe(3);
    expect(result.stderr.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(result.stderr.length).toBeGreaterThan(OUTPUT_TAIL_BYTES - 100);
    expect(result.stderr.endsWith("xxxEND\n")).toBe(true);
  });

  it("when aborted, kills the whole process group (SIGKILL after the grace for what ignores SIGTERM) before it answers", async () => {
    // Prepare: a program and its helper that both ignore SIGTERM.
    const pids = join(dir, "pids");
    const abort = new AbortController();
    const outcome = run([fixture("process-tree.sh"), pids, "ignore-term"], {
      timeoutMs: 60_000,
      signal: abort.signal,
      abortGraceMs: 200,
    });
    while (!existsSync(pids) || readFileSync(pids, "utf8").trim().split(" ").length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [shell, helper] = readPids(pids);
    leftovers.push(shell!, helper!);
    // Act
    const abortedAt = performance.now();
    abort.abort();
    const result = await outcome;
    const tookMs = performance.now() - abortedAt;
    // Assess: nothing of the group is left when the run answers, and it answered soon after the grace.
    const alive = [isAlive(shell!), isAlive(helper!)];
    expect(result).toMatchObject({ aborted: true, timedOut: false, exitCode: null, stillRunning: false });
    expect(describeRun(result, 60_000)).toBe("was aborted (its process group killed)");
    expect(alive).toEqual([false, false]);
    expect(tookMs).toBeGreaterThanOrEqual(200);
    expect(tookMs).toBeLessThan(1_200);
  });

  it("when aborted, answers as soon as the group has died of SIGTERM, without waiting for the grace", async () => {
    // Prepare
    const pids = join(dir, "pids");
    const abort = new AbortController();
    const outcome = run([fixture("process-tree.sh"), pids], {
      timeoutMs: 60_000,
      signal: abort.signal,
      abortGraceMs: 3_000,
    });
    while (!existsSync(pids) || readFileSync(pids, "utf8").trim().split(" ").length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [shell, helper] = readPids(pids);
    leftovers.push(shell!, helper!);
    // A SIGTERM landing between a child's fork and its exec is lost (the shell's trap, copied, dies with the exec):
    // let the helper exec first. (The loop's `sleep 1` may still miss it: it ends within 1 s anyway.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    const abortedAt = performance.now();
    abort.abort();
    const result = await outcome;
    // Assess
    expect(result.aborted).toBe(true);
    expect([isAlive(shell!), isAlive(helper!)]).toEqual([false, false]);
    expect(performance.now() - abortedAt).toBeLessThan(2_000);
  }, 15_000);

  it("kills the whole process group with SIGTERM when the run outlives its timeout", async () => {
    // Prepare
    const pids = join(dir, "pids");
    // Act
    const result = await run([fixture("process-tree.sh"), pids], { timeoutMs: 1_000, killGraceMs: 5_000 });
    // Assess
    const [shell, helper] = readPids(pids);
    leftovers.push(shell!, helper!);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: null, stillRunning: false });
    expect(describeRun(result, 1_000)).toBe("timed out after 1000 ms and was killed");
    expect(readFileSync(`${pids}.signals`, "utf8")).toBe("TERM\n");
    expect(isAlive(shell!)).toBe(false);
    expect(isAlive(helper!)).toBe(false);
  });

  it("follows with SIGKILL when the group ignores SIGTERM, and answers only once nothing of the group is left", async () => {
    // Prepare
    const pids = join(dir, "pids");
    // Act
    const result = await run([fixture("process-tree.sh"), pids, "ignore-term"], { timeoutMs: 1_000, killGraceMs: 300 });
    // Assess
    const [shell, helper] = readPids(pids);
    leftovers.push(shell!, helper!);
    expect(result).toMatchObject({ timedOut: true, stillRunning: false });
    expect([isAlive(shell!), isAlive(helper!)]).toEqual([false, false]);
  });

  it("when the program dies of SIGTERM at its timeout but a helper ignores it, answers only once SIGKILL ended the helper", async () => {
    // Prepare
    const pids = join(dir, "pids");
    // Act
    const result = await run([fixture("process-tree.sh"), pids, "helper-ignores-term"], {
      timeoutMs: 1_000,
      killGraceMs: 500,
    });
    // Assess
    const [shell, helper] = readPids(pids);
    leftovers.push(shell!, helper!);
    expect(result).toMatchObject({ timedOut: true, stillRunning: false });
    expect([isAlive(shell!), isAlive(helper!)]).toEqual([false, false]);
  });

  it("answers when the program exits even though a process it left behind keeps its output open", async () => {
    // Prepare
    const pidFile = join(dir, "daemon");
    // Act
    const result = await run([fixture("leave-daemon.sh"), pidFile], { timeoutMs: 20_000 });
    // Assess
    const [daemon] = readPids(pidFile);
    leftovers.push(daemon!);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: "daemon started\n" });
    expect(isAlive(daemon!)).toBe(true);
  });

  it.each([
    [["/no/such/program"], "could not run /no/such/program: no such program"],
    [[], "the command is empty"],
  ])("refuses with ProgramNotRunError when %j cannot be started", async (argv, message) => {
    // Act
    const outcome = run(argv, { timeoutMs: 1_000 });
    // Assess
    await expect(outcome).rejects.toThrow(ProgramNotRunError);
    await expect(outcome).rejects.toThrow(message);
  });

  it("says why a file that is not executable cannot run", async () => {
    // Prepare
    const notExecutable = join(dir, "script.sh");
    writeFileSync(notExecutable, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    // Act
    const outcome = run([notExecutable], { timeoutMs: 1_000 });
    // Assess
    await expect(outcome).rejects.toThrow(
      `could not run ${notExecutable}: permission denied (is the file executable?)`,
    );
  });
});

describe("formatArgv", () => {
  it("quotes only the arguments a reader would misread", () => {
    // Act
    const text = formatArgv(["/usr/bin/systemctl", "start", "--", "a b", "it's", "$(x)"]);
    // Assess
    expect(text).toBe("/usr/bin/systemctl start -- 'a b' 'it'\\''s' '$(x)'");
  });
});
