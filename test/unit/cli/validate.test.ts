import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClusterDefinitionSource } from "../../../lib/infra/definition-source.js";
import { baton, STACK_FRAME } from "../../support/cli.js";

const EXAMPLE = "examples/cluster.yaml";

function badCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "baton-validate-"));
  const path = join(dir, "cluster.yaml");
  // Line 5 of the example is `cluster: orders-db`; an upper-case name is refused (AWS resource names).
  writeFileSync(path, readFileSync(EXAMPLE, "utf8").replace("cluster: orders-db", "cluster: Orders_DB"));
  return path;
}

describe("baton validate", () => {
  it("accepts the example and names what it holds (exit 0)", async () => {
    const run = await baton(["validate", EXAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("examples/cluster.yaml: valid. Cluster orders-db in us-east-1: 3 nodes");
    expect(run.stderr).toBe("");
  });

  it("refuses an invalid file with synth's message, the file and line, exit 2 and no stack trace", async () => {
    const path = badCopy();
    const run = await baton(["validate", path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`${path}: 1 problem in the cluster definition:`);
    expect(run.stderr).toContain(`${path}:5 cluster: "Orders_DB" is not a cluster name`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it("prints exactly what the CDK app (bin/app.ts, `cdk synth`) prints for the same file", async () => {
    const path = badCopy();
    let synthSays = "";
    try {
      ClusterDefinitionSource.fromFile(path); // what bin/app.ts loads, printing `${error.message}\n` on a DefinitionError
    } catch (error) {
      synthSays = `${(error as Error).message}\n`;
    }
    expect(synthSays).toContain("1 problem in the cluster definition");
    expect((await baton(["validate", path])).stderr).toBe(synthSays);
  });

  it("--json lists the problems with their path and line", async () => {
    const run = await baton(["validate", badCopy(), "--json"]);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as { valid: boolean; problems: { path: string; line: number }[] };
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ path: "cluster", line: 5 })]);
  });

  it("a missing file is bad input that says to check the path", async () => {
    const run = await baton(["validate", "no/such/file.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no/such/file.yaml: 1 problem in the cluster definition:");
    expect(run.stderr).toContain("the file cannot be read (ENOENT); check the path.");
  });
});

describe("baton usage errors", () => {
  it("an unknown option or command, or a missing argument, is bad input (exit 2)", async () => {
    expect((await baton(["status", "--frobnicate"])).code).toBe(2);
    expect((await baton(["frobnicate"])).code).toBe(2);
    const missing = await baton(["validate"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'file'");
  });

  it("--help on the program and on every command answers 0 and shows the exit codes", async () => {
    const top = await baton(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Exit codes: 0 done; 1 failed");
    for (const command of ["status", "history", "start-node", "validate"]) {
      const help = await baton([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: baton ${command}`);
      expect(help.stdout).toContain("--cluster <name>");
    }
  });

  it("no cluster named: exit 2, saying which options name one", async () => {
    const run = await baton(["status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "baton: which cluster? Give --cluster NAME (the stack baton-NAME is looked up), -c FILE (its definition), or --table NAME; or set BATON_CLUSTER.\n",
    );
  });

  it("bad values are named: --watch 0, --since yesterday", async () => {
    const watch = await baton(["status", "--table", "t", "--watch", "0"]);
    expect(watch.code).toBe(2);
    expect(watch.stderr).toContain("--watch 0: give a number of seconds, 1 or more");
    const since = await baton(["history", "--table", "t", "--since", "yesterday"]);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain("--since yesterday: give a duration");
  });
});

describe("bin/baton, as a shell runs it", () => {
  it("exits 2 on an invalid definition with the message alone, no stack trace", () => {
    const path = badCopy();
    const run = spawnSync(process.execPath, ["bin/baton", "validate", path], { encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${path}:5 cluster: "Orders_DB" is not a cluster name`);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe("");
  });

  it("exits 0 on --help", () => {
    const run = spawnSync(process.execPath, ["bin/baton", "--help"], { encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Usage: baton [options] [command]");
  });
});
