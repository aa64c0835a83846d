import { describe, expect, it } from "vitest";
import { problemsOf, validDocument } from "./fixture.js";

/**
 * The valid document (3 nodes) with on-premise nodes added up to `nodes`, each with its own
 * principal, and the heartbeat interval set (with a lease long enough for the groups to stop in).
 */
function cluster(nodes: number, heartbeatInterval: string, leaseDuration: string): unknown {
  const document = validDocument() as { nodes: unknown[]; timing?: unknown };
  for (let i = document.nodes.length; i < nodes; i++) {
    document.nodes.push({
      id: `n-${i}`,
      kind: "onprem",
      principal: `arn:aws:iam::123456789012:role/baton-node-${i}`,
      address: "203.0.113.20",
    });
  }
  document.timing = { heartbeatInterval, leaseDuration, controllerTick: "1s" };
  return document;
}

// The ceiling is 500 heartbeats per second (nodes / interval): half of DynamoDB's 1,000 writes/s on the
// table's one state partition, which every heartbeat writes to.
describe("the heartbeat load a definition may ask for", () => {
  it.each([
    ["1,000 nodes at 2s (500/s)", 1_000, "2s", "10s"],
    ["200 nodes at 500ms (400/s)", 200, "500ms", "4s"],
    ["250 nodes at 500ms (500/s)", 250, "500ms", "4s"],
    ["3 nodes at 500ms (6/s)", 3, "500ms", "4s"],
  ])("accepts %s", (_name, nodes, interval, lease) => {
    // Act
    const problems = problemsOf(cluster(nodes, interval, lease));
    // Assess
    expect(problems).toEqual([]);
  });

  it("refuses 1,001 nodes at 2s (500.5/s), naming the fields and what to do", () => {
    // Act
    const problems = problemsOf(cluster(1_001, "2s", "10s"));
    // Assess: at least 1,001 x 1000 / 500 = 2002 ms, or 500 x 2 s = 1,000 nodes per cluster.
    expect(problems).toEqual([
      {
        path: "nodes",
        message:
          "1,001 nodes sending a heartbeat every 2s (timing.heartbeatInterval) make 500.5 heartbeats per second; " +
          "the heartbeat endpoint carries at most 500 (each heartbeat is a write to the table's one state partition, " +
          "which DynamoDB limits to 1,000 writes per second): set timing.heartbeatInterval to at least 2002ms, " +
          "or split the nodes into clusters of at most 1,000 nodes.",
      },
    ]);
  });

  it("refuses 251 nodes at 500ms (502/s): at least 502ms, or at most 250 nodes", () => {
    // Act
    const problems = problemsOf(cluster(251, "500ms", "4s"));
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe("nodes");
    expect(problems[0]?.message).toContain("251 nodes sending a heartbeat every 500ms");
    expect(problems[0]?.message).toContain("502 heartbeats per second");
    expect(problems[0]?.message).toContain("at least 502ms, or split the nodes into clusters of at most 250 nodes");
  });
});
