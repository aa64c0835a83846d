import { describe, expect, it } from "vitest";
import { buildPlanSteps, describeStep, groupStartOrder } from "../../../lib/core/controller/plan-builder.js";
import { exampleDefinition } from "../../support/example-cluster.js";

const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const reports = definition.groups.find((g) => g.id === "reports")!;

describe("plan building", () => {
  it("starts resources after what they depend on", () => {
    // Act
    const order = groupStartOrder(postgres).map((r) => r.id);
    // Assess
    expect(order).toEqual(["data", "pg-mount", "postgres", "ip", "dns"]);
  });

  it("fails over from a silent EC2 node: check zone, fence, detach, then online in dependency order", () => {
    // Act
    const steps = buildPlanSteps(definition, postgres, { sourceId: "db-a", sourceAlive: false, targetId: "db-b" }).map(
      describeStep,
    );
    // Assess
    expect(steps).toEqual([
      "check-volume-zone data",
      "fence i-0a1b2c3d4e5f60001",
      "detach-volume data",
      "attach-volume data",
      "await-online pg-mount",
      "await-online postgres",
      "associate-address ip",
      "upsert-record dns",
    ]);
  });

  it("lets a live source stop its own resources, in reverse order, before the fence that only acts if it did not", () => {
    // Act
    const steps = buildPlanSteps(definition, postgres, { sourceId: "db-b", sourceAlive: true, targetId: "db-a" });
    // Assess
    expect(steps.slice(1, 4).map(describeStep)).toEqual([
      "await-offline postgres",
      "await-offline pg-mount",
      "fence i-0a1b2c3d4e5f60002",
    ]);
    expect(steps[3]).toMatchObject({ kind: "fence", onlyIfUnconfirmed: true });
  });

  it("places a group with no owner without fencing or detaching, and points DNS at an on-premise address", () => {
    // Act
    const steps = buildPlanSteps(definition, reports, { sourceId: null, sourceAlive: false, targetId: "office-1" });
    // Assess
    expect(steps.map(describeStep)).toEqual(["await-online report-svc", "upsert-record reports-dns"]);
    expect(steps[1]).toMatchObject({ address: "203.0.113.10" });
  });

  it("frees inherited sources before the target takes the group: awaited if they can confirm, else fenced at once", () => {
    // Act
    const confirmable = buildPlanSteps(definition, postgres, {
      sourceId: null,
      sourceAlive: false,
      targetId: "db-b",
      inherited: [{ nodeId: "db-a", confirmable: true }],
    });
    const silent = buildPlanSteps(definition, postgres, {
      sourceId: null,
      sourceAlive: false,
      targetId: "db-b",
      inherited: [{ nodeId: "db-a", confirmable: false }],
    });
    // Assess
    expect(confirmable.slice(0, 6)).toEqual([
      {
        kind: "check-volume-zone",
        resourceId: "data",
        volumeId: "vol-0a1b2c3d4e5f60001",
        instanceId: "i-0a1b2c3d4e5f60002",
      },
      { kind: "await-offline", resourceId: "postgres", nodeId: "db-a" },
      { kind: "await-offline", resourceId: "pg-mount", nodeId: "db-a" },
      { kind: "fence", instanceId: "i-0a1b2c3d4e5f60001", onlyIfUnconfirmed: true, nodeId: "db-a" },
      {
        kind: "detach-volume",
        resourceId: "data",
        volumeId: "vol-0a1b2c3d4e5f60001",
        instanceId: "i-0a1b2c3d4e5f60001",
        nodeId: "db-a",
      },
      {
        kind: "attach-volume",
        resourceId: "data",
        volumeId: "vol-0a1b2c3d4e5f60001",
        instanceId: "i-0a1b2c3d4e5f60002",
        device: "/dev/xvdf",
      },
    ]);
    expect(silent.slice(1, 3).map(describeStep)).toEqual(["fence i-0a1b2c3d4e5f60001", "detach-volume data"]);
    expect(silent[1]).toMatchObject({ onlyIfUnconfirmed: false });
  });

  it("ignores an inherited source that is the target, or no longer in the definition", () => {
    // Act
    const steps = buildPlanSteps(definition, reports, {
      sourceId: null,
      sourceAlive: false,
      targetId: "office-1",
      inherited: [
        { nodeId: "office-1", confirmable: true },
        { nodeId: "retired-node", confirmable: false },
      ],
    });
    // Assess
    expect(steps.map(describeStep)).toEqual(["await-online report-svc", "upsert-record reports-dns"]);
  });
});
