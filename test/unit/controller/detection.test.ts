import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import type { NodeReport } from "../../../lib/core/controller/records.js";
import { exampleDefinition } from "../../support/example-cluster.js";

/**
 * assessNodes. The example cluster's lease is 10 s; the grace is max(2 s, 10 s / 5) = 2 s; so a node is up
 * while its last heartbeat was received at most 12 000 ms ago (controller clock), and not a millisecond longer.
 */
const definition = exampleDefinition();
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

const report = (nodeId: string, over: Partial<NodeReport> = {}): NodeReport => ({
  nodeId,
  bootId: `${nodeId}-boot`,
  seq: 4,
  receivedAt: NOW - 1_000,
  bootStartedAt: NOW - 3_600_000,
  resources: {},
  leaving: false,
  // Told of every group (its answers arrive): see untold-owner.test.ts for a boot that is not.
  epochs: { postgres: 1, reports: 1 },
  ...over,
});

describe("assessNodes", () => {
  it("takes a node as up until 12 000 ms after its last heartbeat, and down 1 ms later", () => {
    // Act
    const health = assessNodes(
      definition,
      new Map([
        ["db-a", report("db-a", { receivedAt: NOW - 12_000 })],
        ["db-b", report("db-b", { receivedAt: NOW - 12_001 })],
      ]),
      NOW,
    );
    // Assess
    expect(health.get("db-a")).toEqual(
      nodeHealth("db-a", {
        up: true,
        leaseOver: false,
        lastHeardAt: NOW - 12_000,
        upSince: NOW - 3_600_000,
        report: { nodeId: "db-a", bootId: "db-a-boot", seq: 4 },
        // Up, but heard more than two intervals (2 × 2 s) ago: not ready to take its group.
        unreadyGroups: ["postgres"],
      }),
    );
    expect(health.get("db-b")).toEqual(
      nodeHealth("db-b", {
        up: false,
        leaseOver: true,
        lastHeardAt: NOW - 12_001,
        upSince: null,
        report: { nodeId: "db-b", bootId: "db-b-boot", seq: 4 },
      }),
    );
  });

  it("takes a node never heard as down, with no report", () => {
    // Act
    const health = assessNodes(definition, new Map(), NOW);
    // Assess
    expect(health.get("office-1")).toEqual(
      nodeHealth("office-1", {
        up: false,
        leaseOver: true,
        lastHeardAt: null,
        upSince: null,
      }),
    );
  });

  it("takes a leaving node as down at once, and keeps the report its leaving mark came in", () => {
    // Act
    const health = assessNodes(
      definition,
      new Map([["db-a", report("db-a", { leaving: true, seq: 9, resources: { postgres: "offline" } })]]),
      NOW,
    );
    // Assess
    expect(health.get("db-a")).toMatchObject({
      up: false,
      leaving: true,
      leaseOver: false, // its lease runs on: its silence is not yet a stop
      upSince: null,
      report: { nodeId: "db-a", bootId: "db-a-boot", seq: 9 },
    });
  });

  it("lists an online group it owns as unsettled while its boot is not told of it or does not run all of it", () => {
    // Prepare: the table gives reports (one agent resource, report-svc) to db-b, online; postgres to db-a.
    const groups = new Map([
      ["reports", { owner: "db-b", status: "online" as const }],
      ["postgres", { owner: "db-a", status: "online" as const }],
    ]);
    const judge = (over: Partial<NodeReport>) =>
      assessNodes(definition, new Map([["db-b", report("db-b", over)]]), NOW, groups).get("db-b")?.unsettledGroups;
    // Act and assess
    // A new boot not told of it yet (no epoch for reports), whatever it reports.
    expect(judge({ epochs: { postgres: 1 }, resources: { "report-svc": "online" } })).toEqual(["reports"]);
    // Told of it, but stopping it (a restart) or starting it.
    expect(judge({ resources: { "report-svc": "stopping" } })).toEqual(["reports"]);
    expect(judge({ resources: { "report-svc": "starting" } })).toEqual(["reports"]);
    // Running it: settled. postgres is db-a's, not db-b's, whatever db-b reports of it.
    expect(judge({ resources: { "report-svc": "online" } })).toEqual([]);
    // Not up: nothing is judged.
    expect(judge({ receivedAt: NOW - 12_001, resources: { "report-svc": "stopping" } })).toEqual([]);
  });

  it("lists the resources a node reports failed, and only those", () => {
    // Act
    const health = assessNodes(
      definition,
      new Map([["db-a", report("db-a", { resources: { postgres: "failed", "pg-mount": "online", x: "stopping" } })]]),
      NOW,
    );
    // Assess
    expect(health.get("db-a")?.failedResources).toEqual(["postgres"]);
  });
});
