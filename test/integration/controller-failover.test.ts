import { setTimeout as sleep } from "node:timers/promises";
import { QueryCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import type { GroupRecord } from "../../lib/core/controller/records.js";
import { type Harness, startHarness } from "./support/controller-harness.js";

let h: Harness;
const ec2 = () => new EC2Client({});

async function group(id: string): Promise<GroupRecord | undefined> {
  const snapshot = await new DynamoClusterStateStore(new DynamoDBClient({}), h.world.tableName).readSnapshot();
  return snapshot.groups.get(id);
}
async function instance(id: string) {
  return (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
}
async function recordValue(name: string): Promise<string | undefined> {
  const out = await new Route53Client({}).send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: h.world.hostedZoneId,
      StartRecordName: name,
      StartRecordType: "A",
    }),
  );
  return out.ResourceRecordSets?.find((r) => r.Name === `${name}.`)?.ResourceRecords?.[0]?.Value;
}

beforeAll(async () => {
  h = await startHarness();
});

describe("controller against moto (example cluster, fast timing)", () => {
  it("places each group on its most preferred node, in dependency order, and reports it", async () => {
    // Act
    await h.driveUntil(
      ["db-a", "db-b", "office-1"],
      async () => (await group("postgres"))?.status === "online" && (await group("reports"))?.status === "online",
    );
    // Assess
    expect(await group("postgres")).toMatchObject({
      owner: "db-a",
      epoch: 1,
      desired: { "pg-mount": "online", postgres: "online" },
    });
    expect(await group("reports")).toMatchObject({ owner: "office-1", epoch: 1 });
    const address = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [h.world.allocationId] })))
      .Addresses![0]!;
    expect(address.InstanceId).toBe(h.world.instances["db-a"]);
    expect(await recordValue("db.example.com")).toBe((await instance(h.world.instances["db-a"])).PrivateIpAddress);
    expect(await recordValue("reports.example.com")).toBe("203.0.113.10");
  });

  it("fails postgres over when db-a falls silent: fenced, volume moved, address and record pointed at db-b", async () => {
    // Prepare
    const silentSince = Date.now();
    // Act: db-a stops heartbeating; the others go on.
    await h.driveUntil(
      ["db-b", "office-1"],
      async () => (await group("postgres"))?.owner === "db-b" && (await group("postgres"))?.status === "online",
      30_000,
      250,
    );
    // Assess
    const elapsed = Date.now() - silentSince;
    expect(elapsed).toBeGreaterThan(4_000); // lease 2 s + grace 2 s: never before
    expect(await group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect((await instance(h.world.instances["db-a"])).State?.Name).toBe("stopped");
    const volume = (await ec2().send(new DescribeVolumesCommand({ VolumeIds: [h.world.volumeId] }))).Volumes![0]!;
    expect(volume.Attachments?.map((a) => [a.InstanceId, a.Device])).toEqual([
      [h.world.instances["db-b"], "/dev/xvdf"],
    ]);
    const address = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [h.world.allocationId] })))
      .Addresses![0]!;
    expect(address.InstanceId).toBe(h.world.instances["db-b"]);
    expect(await recordValue("db.example.com")).toBe((await instance(h.world.instances["db-b"])).PrivateIpAddress);
    expect(await group("reports")).toMatchObject({ owner: "office-1", epoch: 1 }); // untouched
  });

  it("has written each transition to the cluster log", async () => {
    // Prepare
    await sleep(10);
    const day = new Date().toISOString().slice(0, 10);
    // Act
    const out = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: h.world.tableName,
        KeyConditionExpression: "pk = :day",
        ExpressionAttributeValues: { ":day": { S: `log#${day}` } },
      }),
    );
    // Assess
    const entries = (out.Items ?? []).map((i) => unmarshall(i));
    const postgres = entries.filter((e) => e.groupId === "postgres").map((e) => `${e.event} ${e.epoch}`);
    expect(postgres).toContain("failover-started 2");
    expect(postgres).toContain("failover-completed 2");
    expect(entries.some((e) => e.event === "step" && String(e.step).startsWith("fence") && e.epoch === 2)).toBe(true);
    expect(entries.every((e) => typeof e.expiresAt === "number")).toBe(true);
  });
});
