import { describe, expect, it } from "vitest";
import { baton } from "../../support/cli.js";

const EXAMPLE = "examples/cluster.yaml";

describe("baton simulate", () => {
  it("--fail db-a --json: postgres moves to db-b with db-a fenced, reports stays, no violation (exit 0)", async () => {
    const run = await baton(["simulate", EXAMPLE, "--fail", "db-a", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      fenced: string[];
      groups: { id: string; outcome: string; after: { owner: string } }[];
      violations: string[];
    };
    expect(report.fenced).toEqual(["db-a"]);
    expect(report.groups.map((g) => [g.id, g.outcome, g.after.owner])).toEqual([
      ["postgres", "moved", "db-b"],
      ["reports", "stayed", "office-1"],
    ]);
    expect(report.violations).toEqual([]);
  });

  it("--fail db-a --stop db-b: the timeline says postgres waits with no candidate", async () => {
    // db-b's agent stopped (a planned leave, not counted by the guard) and db-a failed: postgres has no candidate.
    const run = await baton(["simulate", EXAMPLE, "--fail", "db-a", "--stop", "db-b"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/group postgres: WAITING: offline on db-a: .*no other preferred owner is up/);
    expect(run.stdout).toContain("group reports: stays on office-1");
  });

  it("--drain db-a --json: as `baton drain db-a`, postgres moves to db-b with nothing fenced", async () => {
    const run = await baton(["simulate", EXAMPLE, "--drain", "db-a", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { fenced: string[]; groups: { id: string; after: { owner: string } }[] };
    expect(report.fenced).toEqual([]);
    expect(report.groups.map((g) => [g.id, g.after.owner])).toEqual([
      ["postgres", "db-b"],
      ["reports", "office-1"],
    ]);
  });

  it("--fail db-a --also db-b: two of three nodes silent at once freeze the cluster, and the timeline says so", async () => {
    const run = await baton(["simulate", EXAMPLE, "--fail", "db-a", "--also", "db-b"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("group postgres: stays on db-a");
    expect(run.stdout).toContain("the mass-failure guard FROZE the cluster");
  });

  it("refuses an unknown node and a missing fault with exit 2, naming what to write", async () => {
    const unknown = await baton(["simulate", EXAMPLE, "--fail", "db-z"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--fail db-z: no node "db-z" in the definition (nodes: db-a, db-b, office-1)');
    const none = await baton(["simulate", EXAMPLE]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("simulate needs a fault: --fail NODE, --partition NODE, --drain NODE or --stop NODE");
  });
});
