import { describe, expect, it } from "vitest";
import { baton } from "../support/cli.js";
import { driveUntilPostgresOnDbB, startPlacedHarness } from "./support/controller-harness.js";

// `baton history` shows the nodes' changes as the real controller handler judged them (moto_server, the example
// cluster, fast timing): a node going down, the failover it causes, and the node coming back.

interface Entry {
  readonly at: number;
  readonly group: string | null;
  readonly epoch: number | null;
  readonly event: string;
  readonly outcome: string | null;
  readonly durationMs: number | null;
  readonly more: Record<string, unknown>;
}

/** Placement, a failover, db-a's return: each its own wait. */
const SCENARIO_MS = 90_000;

describe("baton history: node changes", () => {
  it(
    "lists db-a down, before the failover it causes, then db-a up when it heartbeats again; `history db-a` keeps to it",
    async () => {
      // Prepare: both groups placed (every node heard, and so judged up, on the way).
      const startedAt = Date.now();
      const { h } = await startPlacedHarness();
      const table = ["--table", h.world.tableName, "--since", new Date(startedAt - 60_000).toISOString(), "--json"];
      // Act: db-a falls silent until postgres is online on db-b; then its agent starts again and heartbeats.
      await driveUntilPostgresOnDbB(h);
      h.agents.restart("db-a");
      await h.agents.beat(["db-a", "db-b", "office-1"]);
      await h.pass();
      const all = JSON.parse((await baton(["history", ...table])).stdout) as { entries: Entry[] };
      const ofDbA = JSON.parse((await baton(["history", "db-a", ...table])).stdout) as { entries: Entry[] };
      const text = await baton(["history", "db-a", ...table.slice(0, -1)]);
      // Assess: every node was first judged up at placement; db-a down, then up, once each, in that order.
      const nodeEvents = all.entries
        .filter((e) => e.event.startsWith("node-"))
        .map((e) => [e.event, e.more.nodeId, e.outcome]);
      expect(nodeEvents).toEqual([
        ["node-up", "db-a", "db-a up"],
        ["node-up", "db-b", "db-b up"],
        ["node-up", "office-1", "office-1 up"],
        ["node-down", "db-a", "db-a down"],
        ["node-up", "db-a", "db-a up"],
      ]);
      const index = (match: (e: Entry) => boolean) => all.entries.findIndex(match);
      const down = index((e) => e.event === "node-down");
      const failover = index((e) => e.event === "failover-started" && e.group === "postgres" && e.epoch === 2);
      const back = all.entries.findLastIndex((e) => e.event === "node-up");
      expect(down).toBeGreaterThanOrEqual(0);
      expect(down).toBeLessThan(failover);
      expect(failover).toBeLessThan(back);
      // Back up: the TOOK column says how long it was down (from the pass that judged it down to this one).
      expect(all.entries[back]!.durationMs).toBeGreaterThan(0);
      expect(all.entries[back]!.durationMs).toBeLessThan(Date.now() - startedAt);
      // `history db-a`: its own changes, none of another node's, and the failover away from it.
      expect(ofDbA.entries.filter((e) => e.event.startsWith("node-")).map((e) => [e.event, e.more.nodeId])).toEqual([
        ["node-up", "db-a"],
        ["node-down", "db-a"],
        ["node-up", "db-a"],
      ]);
      expect(ofDbA.entries.some((e) => e.event === "failover-started" && e.group === "postgres")).toBe(true);
      expect(ofDbA.entries.some((e) => e.group === "reports")).toBe(false);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/ - +- +node-down +- +db-a down +- +silent since its last heartbeat at /);
    },
    SCENARIO_MS,
  );
});
