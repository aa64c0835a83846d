import { describe, expect, it } from "vitest";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { clusterGauges, failoverBoundMs } from "../../../lib/core/controller/gauges.js";
import { emptyGroupRecord, type GroupRecord } from "../../../lib/core/controller/records.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { nodeHealth } from "../../support/node-health.js";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

function node(nodeId: string, up: boolean, extra: Partial<NodeHealth> = {}): NodeHealth {
  return nodeHealth(nodeId, { up, lastHeardAt: NOW - 1_000, upSince: up ? NOW - 60_000 : null, ...extra });
}
describe("cluster gauges", () => {
  it("count a drained node as drained, heartbeating or not: never up, never down", () => {
    // Prepare: db-a drained and heartbeating, db-b drained and shut down, office-1 silent.
    const members = new Map([
      ["db-a", node("db-a", true, { drained: true })],
      ["db-b", node("db-b", false, { drained: true })],
      ["office-1", node("office-1", false)],
    ]);
    // Act
    const gauges = clusterGauges(exampleDefinition(), members, new Map(), { frozen: false }, NOW);
    // Assess
    expect(gauges).toMatchObject({ nodesUp: 0, nodesDrained: 2, nodesDown: 1 });
    expect(gauges.nodeDown).toEqual({ "db-a": 0, "db-b": 0, "office-1": 1 });
  });

  it("count a group not online for longer than its failover bound as overdue, and the longest move", () => {
    // Prepare: examples/cluster.yaml: postgres fences (10 min), lease 10 s + grace 2 s, tick 2 s, and its resources.
    // pending timeouts twice; reports waits offline.
    const definition = exampleDefinition();
    const postgres = definition.groups.find((g) => g.id === "postgres")!;
    const bound =
      12_000 + 2 * 2_000 + 10 * 60_000 + postgres.resources.reduce((sum, r) => sum + 2 * r.pendingTimeoutMs, 0);
    expect(failoverBoundMs(definition, postgres)).toBe(bound);
    const moving: GroupRecord = {
      ...emptyGroupRecord("postgres", NOW),
      status: "moving",
      since: NOW - bound - 1,
      plan: { startedAt: NOW - 90_000 } as GroupRecord["plan"],
    };
    const reports: GroupRecord = { ...emptyGroupRecord("reports", NOW), status: "online", since: NOW - 10 * bound };
    // Act
    const gauges = clusterGauges(
      definition,
      new Map(),
      new Map([
        ["postgres", moving],
        ["reports", reports],
      ]),
      { frozen: true },
      NOW,
    );
    // Assess
    expect(gauges).toMatchObject({
      groupsMoving: 1,
      groupsOnline: 1,
      groupsOverdue: 1,
      longestMoveMs: 90_000,
      guardFrozen: 1,
    });
  });
});
