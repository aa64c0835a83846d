import { describe, expect, it } from "vitest";
import { parseDefinition, type ClusterDefinition } from "../../../lib/core/definition/index.js";
import { changedAll } from "./fixture.js";

function resolved(changes: Parameters<typeof changedAll>[0]): ClusterDefinition {
  const result = parseDefinition(changedAll(changes));
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.definition;
}

describe("defaults", () => {
  it("uses the default timing, no notifications, failback never, and n-1 failovers in 6h", () => {
    // Prepare and Act
    const definition = resolved([]);
    // Assess
    expect(definition.timing).toEqual({ heartbeatIntervalMs: 2_000, leaseDurationMs: 10_000, controllerTickMs: 2_000 });
    expect(definition.notifications).toEqual({ email: [] });
    expect(definition.groups[0]?.failback).toEqual({ mode: "never" });
    expect(definition.groups[0]?.failover).toEqual({ threshold: 2, periodMs: 21_600_000 });
  });

  it("fences with stop-instance where the group holds an ebs-volume, and none where an owner is on-premise", () => {
    // Prepare and Act
    const definition = resolved([]);
    // Assess
    expect(definition.groups.map((group) => group.fencing)).toEqual(["stop-instance", "none"]);
  });

  it("fences with stop-instance by default when every preferred owner is an EC2 instance, even without a volume", () => {
    // Prepare and Act: reports moved to EC2 owners only, with no ebs-volume.
    const definition = resolved([
      [
        ["groups", 1, "preferredOwners"],
        ["db-b", "db-a"],
      ],
    ]);
    // Assess
    expect(definition.groups.map((group) => group.fencing)).toEqual(["stop-instance", "stop-instance"]);
  });

  it("keeps an explicit fencing: none on a group whose owners are all EC2 instances", () => {
    // Prepare and Act
    const definition = resolved([
      [
        ["groups", 1, "preferredOwners"],
        ["db-b", "db-a"],
      ],
      [["groups", 1, "fencing"], "none"],
    ]);
    // Assess
    expect(definition.groups.map((group) => group.fencing)).toEqual(["stop-instance", "none"]);
  });

  it("keeps the failover threshold at least 1 in a one-node cluster", () => {
    // Prepare and Act
    const definition = resolved([
      [
        ["nodes"],
        [
          {
            id: "db-a",
            kind: "ec2",
            instanceId: "i-0a1b2c3d4e5f60001",
            availabilityZone: "us-east-1a",
            principal: "arn:aws:iam::123456789012:role/baton-node",
          },
        ],
      ],
      [["groups", 0, "preferredOwners"], ["db-a"]],
      [["groups", 1, "preferredOwners"], ["db-a"]],
    ]);
    // Assess
    expect(definition.groups.map((group) => group.failover.threshold)).toEqual([1, 1]);
  });

  it("adds a mount's volume to dependsOn when the user left it out", () => {
    // Prepare and Act
    const definition = resolved([[["groups", 0, "resources", 1, "dependsOn"], undefined]]);
    // Assess
    expect(definition.groups[0]?.resources[1]?.dependsOn).toEqual(["data"]);
  });

  it("resolves a window that spans midnight in the given time zone", () => {
    // Prepare and Act
    const definition = resolved([
      [["groups", 0, "failback"], { mode: "window", window: "22:30-04:00", timeZone: "Europe/Paris" }],
    ]);
    // Assess
    expect(definition.groups[0]?.failback).toEqual({
      mode: "window",
      startMinute: 1_350,
      endMinute: 240,
      timeZone: "Europe/Paris",
    });
  });

  it("normalises record names and keeps command lists as written", () => {
    // Prepare and Act
    const definition = resolved([
      [
        ["groups", 1, "resources", 1],
        {
          id: "d",
          type: "dns-record",
          hostedZoneId: "Z0A1B2C3D4E5F6",
          name: "Reports.Example.COM.",
          target: "public-ip",
        },
      ],
      [
        ["groups", 1, "resources", 0, "start"],
        ["/opt/reports/start.sh", "--port", "8080 8081"],
      ],
    ]);
    // Assess
    expect(definition.groups[1]?.resources[1]).toMatchObject({
      name: "reports.example.com",
      target: "public-ip",
      ttl: 10,
    });
    expect(definition.groups[1]?.resources[0]).toMatchObject({
      start: ["/opt/reports/start.sh", "--port", "8080 8081"],
    });
  });
});
