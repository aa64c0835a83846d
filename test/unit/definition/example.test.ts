import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDefinitionText, type ClusterDefinition } from "../../../lib/core/definition/index.js";

function loadExample(): ClusterDefinition {
  const result = loadDefinitionText(readFileSync("examples/cluster.yaml", "utf8"));
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.definition;
}

function group(definition: ClusterDefinition, id: string) {
  const found = definition.groups.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no group ${id}`);
  return found;
}

describe("examples/cluster.yaml", () => {
  it("loads with the values it writes", () => {
    // Prepare and Act
    const definition = loadExample();
    // Assess
    expect(definition.cluster).toBe("orders-db");
    expect(definition.timing).toEqual({ heartbeatIntervalMs: 2_000, leaseDurationMs: 10_000, controllerTickMs: 2_000 });
    expect(definition.notifications.email).toEqual(["ops@example.com"]);
    expect(definition.nodes.map((node) => node.id)).toEqual(["db-a", "db-b", "office-1"]);
    expect(group(definition, "postgres").failover).toEqual({ threshold: 2, periodMs: 21_600_000 });
    expect(group(definition, "postgres").resources.find((resource) => resource.id === "postgres")).toMatchObject({
      stopTimeoutMs: 2_000,
    });
    expect(group(definition, "postgres").failback).toEqual({
      mode: "window",
      startMinute: 60,
      endMinute: 300,
      timeZone: "UTC",
    });
  });

  it("applies the documented defaults where the file is silent", () => {
    // Prepare and Act
    const definition = loadExample();
    // Assess
    const reports = group(definition, "reports");
    const postgres = group(definition, "postgres");
    expect(reports.failover).toEqual({ threshold: 2, periodMs: 21_600_000 });
    expect(reports.fencing).toBe("none");
    expect(postgres.resources.map((resource) => resource.pendingTimeoutMs)).toEqual(Array(5).fill(180_000));
    expect(postgres.resources.map((resource) => resource.restart)).toEqual(
      Array(5).fill({ threshold: 3, periodMs: 900_000 }),
    );
    expect(postgres.resources.find((resource) => resource.id === "data")?.dependsOn).toEqual([]);
    expect(postgres.resources.find((resource) => resource.id === "dns")).toMatchObject({
      ttl: 10,
      target: "private-ip",
    });
    expect(postgres.resources.find((resource) => resource.id === "pg-mount")).toMatchObject({ stopTimeoutMs: 1_000 });
    expect(reports.resources[0]).toMatchObject({
      type: "command",
      stopTimeoutMs: 1_000,
      start: ["/opt/reports/start.sh"],
      stop: ["/opt/reports/stop.sh"],
      check: ["/opt/reports/check.sh"],
    });
  });
});
