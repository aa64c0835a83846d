import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../../lib/core/definition/index.js";
import { changedAll, problemsOf, validDocument } from "./fixture.js";

type Change = readonly [readonly (string | number)[], unknown];

const volume = (id: string, n: string, device = "/dev/xvdg") => ({
  id,
  type: "ebs-volume",
  volumeId: `vol-0a1b2c3d4e5f6${n}`,
  device,
});
const dns = (id: string, name: string) => ({ id, type: "dns-record", hostedZoneId: "Z0A1B2C3D4E5F6", name });
const g0 = ["groups", 0] as const;
const r = (group: number, resource: number) => ["groups", group, "resources", resource] as const;

// One row per rule: a minimal break of the valid document, the path that must be
// reported, and a fragment of the message.
const cases: readonly (readonly [string, readonly Change[], string, string])[] = [
  // Shapes and types
  ["unknown top-level key", [[["clutser"], "x"]], "clutser", "allowed keys"],
  ["unknown nested key", [[["timing"], { leaseDurration: "10s" }]], "timing.leaseDurration", "leaseDuration"],
  [
    "unknown resource key",
    [[[...r(0, 0), "size"], 10]],
    "groups[0].resources[0].size",
    "allowed keys in an ebs-volume",
  ],
  ["wrong type", [[["nodes"], "db-a"]], "nodes", '"db-a" is not a list of nodes'],
  ["missing key", [[["region"], undefined]], "region", "missing"],
  ["unknown resource type", [[[...r(0, 2), "type"], "service"]], "groups[0].resources[2].type", "use one of"],
  ["unknown node kind", [[["nodes", 0, "kind"], "vm"]], "nodes[0].kind", "ec2, onprem"],
  [
    "duration that does not parse",
    [[["timing"], { leaseDuration: "10 sec" }]],
    "timing.leaseDuration",
    "such as 500ms",
  ],
  ["zero duration", [[[...g0, "failover"], { period: "0s" }]], "groups[0].failover.period", "zero"],
  ["failover threshold below 1", [[[...g0, "failover"], { threshold: 0 }]], "groups[0].failover.threshold", "from 1"],
  [
    "fractional ttl",
    [[[...r(0, 3)], { ...dns("d", "db.example.com"), ttl: 1.5 }]],
    "groups[0].resources[3].ttl",
    "whole number",
  ],
  [
    "unknown dns target",
    [[[...r(0, 3)], { ...dns("d", "db.example.com"), target: "ipv6" }]],
    "groups[0].resources[3].target",
    "private-ip",
  ],
  ["empty resources", [[[...g0, "resources"], []]], "groups[0].resources", "at least one resource"],
  // Identity
  ["duplicate node id", [[["nodes", 1, "id"], "db-a"]], "nodes[1].id", "nodes[0]"],
  ["duplicate group id", [[["groups", 1, "id"], "postgres"]], "groups[1].id", "groups[0]"],
  ["resource id reused in another group", [[[...r(1, 0), "id"], "data"]], "groups[1].resources[0].id", "whole cluster"],
  ["duplicate instance id", [[["nodes", 1, "instanceId"], "i-0a1b2c3d4e5f60001"]], "nodes[1].instanceId", "db-a"],
  [
    "duplicate principal",
    [
      [
        ["nodes", 3],
        {
          id: "office-2",
          kind: "onprem",
          principal: "arn:aws:iam::123456789012:role/baton-node-office-1",
          address: "203.0.113.11",
        },
      ],
    ],
    "nodes[3].principal",
    "office-1",
  ],
  ["duplicate volume id", [[[...r(0, 3)], volume("data2", "0001")]], "groups[0].resources[3].volumeId", "data"],
  [
    "duplicate allocation id",
    [
      [[...r(0, 3)], { id: "ip1", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d" }],
      [[...r(0, 4)], { id: "ip2", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d" }],
    ],
    "groups[0].resources[4].allocationId",
    "ip1",
  ],
  [
    "duplicate dns record (zone and name, normalised)",
    [
      [[...r(0, 3)], dns("d1", "db.example.com")],
      [[...r(1, 1)], dns("d2", "DB.example.com.")],
    ],
    "groups[1].resources[1].name",
    "d1",
  ],
  [
    "duplicate device in a group",
    [[[...r(0, 3)], volume("data2", "0002", "/dev/xvdf")]],
    "groups[0].resources[3].device",
    "own device",
  ],
  // References
  [
    "preferred owner that is not a node",
    [
      [
        [...g0, "preferredOwners"],
        ["db-a", "db-c"],
      ],
    ],
    "groups[0].preferredOwners[1]",
    "name one of: db-a, db-b, office-1",
  ],
  [
    "preferred owner listed twice",
    [
      [
        [...g0, "preferredOwners"],
        ["db-a", "db-a"],
      ],
    ],
    "groups[0].preferredOwners[1]",
    "twice",
  ],
  ["no preferred owners", [[[...g0, "preferredOwners"], []]], "groups[0].preferredOwners", "empty"],
  [
    "dependsOn naming an unknown resource",
    [[[...r(0, 2), "dependsOn"], ["pg-mnt"]]],
    "groups[0].resources[2].dependsOn[0]",
    "not a resource",
  ],
  [
    "dependsOn naming a resource of another group",
    [[[...r(0, 2), "dependsOn"], ["report-svc"]]],
    "groups[0].resources[2].dependsOn[0]",
    "another group",
  ],
  [
    "dependsOn naming itself",
    [[[...r(0, 2), "dependsOn"], ["postgres"]]],
    "groups[0].resources[2].dependsOn[0]",
    "itself",
  ],
  [
    "dependency cycle",
    [[[...r(0, 0), "dependsOn"], ["pg-mount"]]],
    "groups[0].resources[0].dependsOn",
    "data -> pg-mount -> data",
  ],
  [
    "implicit cycle through a mount's volume",
    [
      [[...r(0, 0), "dependsOn"], ["pg-mount"]],
      [[...r(0, 1), "dependsOn"], []],
    ],
    "groups[0].resources[0].dependsOn",
    "mount depends on its volume",
  ],
  [
    "mount volume that is not an ebs-volume of the group",
    [[[...r(0, 1), "volume"], "dta"]],
    "groups[0].resources[1].volume",
    '"dta" is not an ebs-volume of group "postgres"; name one of: data.',
  ],
  // Placement
  [
    "availability zone outside the region",
    [[["nodes", 1, "availabilityZone"], "us-west-2a"]],
    "nodes[1].availabilityZone",
    "region us-east-1",
  ],
  [
    "ebs-volume group across zones",
    [[["nodes", 1, "availabilityZone"], "us-east-1b"]],
    "groups[0].preferredOwners",
    "us-east-1a: db-a; us-east-1b: db-b",
  ],
  [
    "ebs-volume group with an on-premise owner",
    [
      [
        [...g0, "preferredOwners"],
        ["db-a", "office-1"],
      ],
    ],
    "groups[0].preferredOwners[1]",
    "on-premise",
  ],
  [
    "elastic-ip group with an on-premise owner",
    [[[...r(1, 1)], { id: "ip", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d" }]],
    "groups[1].preferredOwners[0]",
    "elastic-ip ip",
  ],
  [
    "stop-instance fencing with an on-premise owner",
    [[["groups", 1, "fencing"], "stop-instance"]],
    "groups[1].fencing",
    "office-1",
  ],
  [
    "no fencing on a group holding an ebs-volume",
    [[[...g0, "fencing"], "none"]],
    "groups[0].fencing",
    "two nodes could write the disk",
  ],
  // Timing
  [
    "heartbeat interval too short",
    [[["timing"], { heartbeatInterval: "100ms" }]],
    "timing.heartbeatInterval",
    "between 500ms and 1m",
  ],
  [
    "heartbeat interval too long",
    [[["timing"], { heartbeatInterval: "2m", leaseDuration: "10m" }]],
    "timing.heartbeatInterval",
    "between 500ms and 1m",
  ],
  [
    "lease shorter than 4 heartbeats",
    [[["timing"], { heartbeatInterval: "5s", leaseDuration: "15s" }]],
    "timing.leaseDuration",
    "at least 20s",
  ],
  ["lease too long", [[["timing"], { leaseDuration: "11m" }]], "timing.leaseDuration", "at most 10m"],
  [
    "controller tick too short",
    [[["timing"], { controllerTick: "500ms" }]],
    "timing.controllerTick",
    "between 1s and 1m",
  ],
  [
    "controller tick longer than the lease",
    [[["timing"], { heartbeatInterval: "1s", leaseDuration: "4s", controllerTick: "5s" }]],
    "timing.controllerTick",
    "at most 4s",
  ],
  // Failback
  [
    "failback window that opens and closes together",
    [[[...g0, "failback"], { mode: "window", window: "02:00-02:00" }]],
    "groups[0].failback.window",
    "same minute",
  ],
  [
    "failback window out of range",
    [[[...g0, "failback"], { mode: "window", window: "25:00-02:00" }]],
    "groups[0].failback.window",
    "HH:MM-HH:MM",
  ],
  [
    "unknown time zone",
    [[[...g0, "failback"], { mode: "window", window: "01:00-05:00", timeZone: "Mars/Base" }]],
    "groups[0].failback.timeZone",
    "IANA",
  ],
  [
    "window key with mode immediate",
    [[[...g0, "failback"], { mode: "immediate", window: "01:00-05:00" }]],
    "groups[0].failback.window",
    "unknown key",
  ],
  // Names and AWS ids
  ["cluster name", [[["cluster"], "Orders_DB"]], "cluster", "lowercase"],
  ["region", [[["region"], "useast1"]], "region", "us-east-1"],
  [
    "availability zone shape",
    [[["nodes", 0, "availabilityZone"], "us-east-1"]],
    "nodes[0].availabilityZone",
    "followed by a letter",
  ],
  ["instance id", [[["nodes", 0, "instanceId"], "i-0A1B"]], "nodes[0].instanceId", "8 or 17"],
  ["volume id", [[[...r(0, 0), "volumeId"], "vol-123"]], "groups[0].resources[0].volumeId", "8 or 17"],
  [
    "allocation id",
    [[[...r(0, 3)], { id: "ip", type: "elastic-ip", allocationId: "eip-0a1b2c3d" }]],
    "groups[0].resources[3].allocationId",
    "eipalloc-",
  ],
  [
    "hosted zone id",
    [[[...r(0, 3)], { ...dns("d", "db.example.com"), hostedZoneId: "/hostedzone/Z1" }]],
    "groups[0].resources[3].hostedZoneId",
    "without /hostedzone/",
  ],
  [
    "record name label too long",
    [[[...r(0, 3)], dns("d", `${"a".repeat(64)}.example.com`)]],
    "groups[0].resources[3].name",
    "63",
  ],
  ["record name with one label", [[[...r(0, 3)], dns("d", "localhost")]], "groups[0].resources[3].name", "two"],
  ["principal", [[["nodes", 2, "principal"], "arn:aws:iam::123:role/x"]], "nodes[2].principal", "IAM role or user ARN"],
  ["address", [[["nodes", 2, "address"], "203.0.113.300"]], "nodes[2].address", "IPv4"],
  ["device", [[[...r(0, 0), "device"], "/dev/xvda"]], "groups[0].resources[0].device", "/dev/xvd[b-z]"],
  ["systemd unit", [[[...r(0, 2), "unit"], "postgresql; rm -rf /"]], "groups[0].resources[2].unit", "systemd unit"],
  ["mount path /", [[[...r(0, 1), "path"], "/"]], "groups[0].resources[1].path", "other than /"],
  ["relative mount path", [[[...r(0, 1), "path"], "var/lib/pg"]], "groups[0].resources[1].path", "absolute"],
  ["email", [[["notifications"], { email: ["ops"] }]], "notifications.email[0]", "email address"],
  ["node id", [[["nodes", 0, "id"], "db a"]], "nodes[0].id", "1 to 64"],
  [
    "command with arguments in a string",
    [[[...r(1, 0), "start"], "/opt/reports/start.sh --now"]],
    "groups[1].resources[0].start",
    "write a list",
  ],
  [
    "command with a relative program",
    [[[...r(1, 0), "stop"], ["stop.sh"]]],
    "groups[1].resources[0].stop",
    "absolute program path",
  ],
];

describe("parseDefinition rules", () => {
  it("accepts the valid fixture", () => {
    // Prepare
    const document = validDocument();
    // Act
    const result = parseDefinition(document);
    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it.each(cases)("reports %s", (_rule, changes, path, fragment) => {
    // Prepare
    const document = changedAll(changes);
    // Act
    const problems = problemsOf(document);
    // Assess
    const atPath = problems.filter((problem) => problem.path === path);
    expect(problems.map((problem) => problem.path)).toContain(path);
    expect(atPath.map((problem) => problem.message).join("\n")).toContain(fragment);
  });
});
