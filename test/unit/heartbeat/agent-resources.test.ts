import { describe, expect, it } from "vitest";
import { parseDefinition, type GroupDefinition } from "../../../lib/core/definition/index.js";
import { agentResourceSpecs } from "../../../lib/core/heartbeat/agent-resources.js";
import { exampleDefinition } from "../../support/example-cluster.js";

/** One group on one EC2 node, with the resources given, loaded by the real loader. */
function groupOf(resources: readonly Record<string, unknown>[]): GroupDefinition {
  const result = parseDefinition({
    cluster: "t",
    region: "us-east-1",
    nodes: [
      {
        id: "n",
        kind: "ec2",
        instanceId: "i-0a1b2c3d4e5f60001",
        availabilityZone: "us-east-1a",
        principal: "arn:aws:iam::123456789012:role/baton-node",
      },
    ],
    groups: [{ id: "g", preferredOwners: ["n"], resources }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const [group] = result.definition.groups;
  if (group === undefined) throw new Error("no group");
  return group;
}

const svc = (id: string, dependsOn: string[] = []) => ({
  id,
  type: "systemd",
  unit: `${id}.service`,
  stopTimeout: "500ms",
  dependsOn,
});

describe("agentResourceSpecs", () => {
  it("gives the example's postgres group its mount (with the volume's id and device) and its service", () => {
    // Prepare
    const postgres = exampleDefinition().groups[0]!;
    // Act
    const specs = agentResourceSpecs(postgres);
    // Assess
    expect(specs).toEqual([
      {
        id: "pg-mount",
        type: "mount",
        path: "/var/lib/postgresql",
        volumeId: "vol-0a1b2c3d4e5f60001",
        device: "/dev/xvdf",
        dependsOn: [],
        pendingTimeoutMs: 180_000,
        stopTimeoutMs: 1_000,
        restart: { threshold: 3, periodMs: 900_000 },
      },
      {
        id: "postgres",
        type: "systemd",
        unit: "postgresql.service",
        dependsOn: ["pg-mount"],
        pendingTimeoutMs: 180_000,
        stopTimeoutMs: 2_000,
        restart: { threshold: 3, periodMs: 900_000 },
      },
    ]);
  });

  it("gives a command its argument lists", () => {
    // Prepare
    const reports = exampleDefinition().groups[1]!;
    // Act
    const specs = agentResourceSpecs(reports);
    // Assess
    expect(specs).toEqual([
      expect.objectContaining({
        id: "report-svc",
        type: "command",
        start: ["/opt/reports/start.sh"],
        stop: ["/opt/reports/stop.sh"],
        check: ["/opt/reports/check.sh"],
        dependsOn: [],
      }),
    ]);
  });

  it("orders by dependsOn, keeping definition order among resources free to start", () => {
    // Prepare: written c, a, d, b; c needs b, d needs a.
    const group = groupOf([svc("c", ["b"]), svc("a"), svc("d", ["a"]), svc("b")]);
    // Act
    const specs = agentResourceSpecs(group);
    // Assess
    expect(specs.map((spec) => [spec.id, spec.dependsOn])).toEqual([
      ["a", []],
      ["d", ["a"]],
      ["b", []],
      ["c", ["b"]],
    ]);
  });

  it("follows dependencies through controller-side resources, and leaves those out", () => {
    // Prepare: proxy needs the address, which needs app; the mount needs its volume only.
    const group = groupOf([
      svc("proxy", ["ip"]),
      { id: "ip", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d", dependsOn: ["app"] },
      svc("app", ["mnt"]),
      { id: "vol", type: "ebs-volume", volumeId: "vol-0a1b2c3d", device: "/dev/sdf" },
      { id: "mnt", type: "mount", volume: "vol", path: "/srv/data", stopTimeout: "500ms" },
    ]);
    // Act
    const specs = agentResourceSpecs(group);
    // Assess
    expect(specs.map((spec) => [spec.id, spec.dependsOn])).toEqual([
      ["mnt", []],
      ["app", ["mnt"]],
      ["proxy", ["app"]],
    ]);
    expect(specs[0]).toMatchObject({ type: "mount", volumeId: "vol-0a1b2c3d", device: "/dev/sdf" });
  });

  it("builds a group's specs once and answers the same list after", () => {
    // Prepare
    const group = groupOf([svc("a")]);
    // Act
    const first = agentResourceSpecs(group);
    const second = agentResourceSpecs(group);
    // Assess
    expect(second).toBe(first);
  });
});
