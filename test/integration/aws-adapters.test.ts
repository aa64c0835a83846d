import {
  AllocateAddressCommand,
  CreateVolumeCommand,
  DescribeVolumesCommand,
  type EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateHostedZoneCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { CreateTopicCommand, type SNSClient } from "@aws-sdk/client-sns";
import { beforeEach, describe, expect, it } from "vitest";
import { createEc2Client, createRoute53Client, createSnsClient } from "../../lib/aws/clients.js";
import { Ec2Adapter } from "../../lib/aws/ec2.js";
import { Route53Adapter } from "../../lib/aws/route53.js";
import { SnsNotifier } from "../../lib/aws/sns-notifier.js";
import { AwsRejectedError, AwsThrottledError } from "../../lib/core/aws-errors.js";
import { awsThrottledCount, throttleAws, useFreshMoto } from "./support/aws.js";

// moto changes states at once (a detach is `available` on the next describe): the slow,
// stuck and lagging paths of real AWS are covered with the stateful fakes in unit tests.

/** The test's own client, for fixtures: moto's first EC2 call loads its catalogues and can take seconds. */
let ec2Client: EC2Client;
/** The adapter, on a client with the production settings. */
let ec2: Ec2Adapter;

/** One of moto's default AMIs. */
const IMAGE_ID = "ami-12c6146b";

async function runInstance(): Promise<{ instanceId: string; az: string }> {
  const out = await ec2Client.send(
    new RunInstancesCommand({ ImageId: IMAGE_ID, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }),
  );
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId || !instance.Placement?.AvailabilityZone) throw new Error("RunInstances gave no instance");
  return { instanceId: instance.InstanceId, az: instance.Placement.AvailabilityZone };
}

async function createVolume(az: string): Promise<string> {
  const out = await ec2Client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, VolumeType: "gp3" }));
  if (!out.VolumeId) throw new Error("CreateVolume gave no id");
  return out.VolumeId;
}

beforeEach(async () => {
  await useFreshMoto();
  ec2Client = createEc2Client({ requestTimeoutMs: 20_000 });
  await ec2Client.send(new DescribeVolumesCommand({}));
  ec2 = new Ec2Adapter(createEc2Client());
});

describe("Ec2Adapter against moto", () => {
  it("describes a running instance, and a missing one as undefined", async () => {
    // Prepare
    const { instanceId, az } = await runInstance();
    // Act
    const found = await ec2.describeInstance(instanceId);
    const missing = await ec2.describeInstance("i-0123456789abcdef0");
    // Assess
    expect(found).toMatchObject({ instanceId, state: "running", availabilityZone: az });
    expect(found?.privateIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(missing).toBeUndefined();
  });

  it("stops an instance", async () => {
    // Prepare
    const { instanceId } = await runInstance();
    // Act
    await ec2.stopInstance(instanceId, true);
    // Assess
    const after = await ec2.describeInstance(instanceId);
    expect(["stopping", "stopped"]).toContain(after?.state);
  });

  it("attaches a volume, repeats the attach harmlessly, detaches it twice, and describes each state", async () => {
    // Prepare
    const { instanceId, az } = await runInstance();
    const volumeId = await createVolume(az);
    // Act
    await ec2.attachVolume(volumeId, instanceId, "/dev/xvdf");
    await ec2.attachVolume(volumeId, instanceId, "/dev/xvdf");
    const attached = await ec2.describeVolume(volumeId);
    await ec2.detachVolume(volumeId, instanceId, false);
    await ec2.detachVolume(volumeId, instanceId, true);
    const detached = await ec2.describeVolume(volumeId);
    // Assess
    expect(attached).toMatchObject({
      volumeId,
      state: "in-use",
      availabilityZone: az,
      attachments: [{ instanceId, device: "/dev/xvdf" }],
    });
    expect(detached).toMatchObject({ volumeId, state: "available", attachments: [] });
  });

  it("refuses to attach a volume to a missing instance, with the AWS code", async () => {
    // Prepare
    const { az } = await runInstance();
    const volumeId = await createVolume(az);
    // Act
    const attach = ec2.attachVolume(volumeId, "i-0123456789abcdef0", "/dev/xvdf");
    // Assess
    await expect(attach).rejects.toBeInstanceOf(AwsRejectedError);
    await expect(attach).rejects.toMatchObject({ operation: "AttachVolume", code: "InvalidInstanceID.NotFound" });
  });

  it("describes a missing volume as undefined", async () => {
    // Prepare: an empty account
    // Act
    const missing = await ec2.describeVolume("vol-0123456789abcdef0");
    // Assess
    expect(missing).toBeUndefined();
  });

  it("associates an Elastic IP, moves it to another instance, and describes it", async () => {
    // Prepare
    const first = await runInstance();
    const second = await runInstance();
    const allocated = await ec2Client.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const allocationId = allocated.AllocationId ?? "";
    // Act
    await ec2.associateAddress(allocationId, first.instanceId);
    const onFirst = await ec2.describeAddress(allocationId);
    await ec2.associateAddress(allocationId, second.instanceId);
    const onSecond = await ec2.describeAddress(allocationId);
    const missing = await ec2.describeAddress("eipalloc-0123456789abcdef0");
    // Assess
    expect(onFirst).toEqual({ allocationId, publicIp: allocated.PublicIp, instanceId: first.instanceId });
    expect(onSecond).toEqual({ allocationId, publicIp: allocated.PublicIp, instanceId: second.instanceId });
    expect(missing).toBeUndefined();
  });

  it("reports EC2 throttling that outlasts the SDK's retries as AwsThrottledError, then works once it stops", async () => {
    // Prepare: more throttled answers than the client's 3 attempts
    const { instanceId } = await runInstance();
    const before = await awsThrottledCount();
    await throttleAws("ec2", 4, "DescribeInstances");
    // Act
    const throttled = ec2.describeInstance(instanceId);
    // Assess
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottledError);
    await expect(throttled).rejects.toMatchObject({ operation: "DescribeInstances", code: "RequestLimitExceeded" });
    expect((await awsThrottledCount()) - before).toBe(3);
    // Act: one throttled answer left, which the SDK's retry absorbs
    const recovered = await ec2.describeInstance(instanceId);
    // Assess
    expect(recovered).toMatchObject({ instanceId, state: "running" });
    expect((await awsThrottledCount()) - before).toBe(4);
  });
});

describe("Route53Adapter against moto", () => {
  let route53Client: Route53Client;
  let dns: Route53Adapter;
  let zoneId: string;

  beforeEach(async () => {
    route53Client = createRoute53Client();
    dns = new Route53Adapter(route53Client);
    const zone = await route53Client.send(
      new CreateHostedZoneCommand({ Name: "example.com", CallerReference: `baton-${Date.now()}-${Math.random()}` }),
    );
    zoneId = zone.HostedZone?.Id ?? "";
  });

  it("upserts an A record, reads it back by name in any case, and reports the change's status", async () => {
    // Prepare
    await dns.upsertARecord(zoneId, "reports.example.com", "198.51.100.9", 60);
    // Act
    const changeId = await dns.upsertARecord(zoneId, "db.example.com", "198.51.100.7", 10);
    const record = await dns.getARecord(zoneId, "DB.example.com");
    const status = await dns.changeStatus(changeId);
    // Assess
    expect(record).toEqual({ values: ["198.51.100.7"], ttl: 10 });
    expect(["PENDING", "INSYNC"]).toContain(status);
  });

  it("replaces the address on a second upsert", async () => {
    // Prepare
    await dns.upsertARecord(zoneId, "db.example.com", "198.51.100.7", 10);
    // Act
    await dns.upsertARecord(zoneId, "db.example.com.", "198.51.100.8", 10);
    // Assess
    expect(await dns.getARecord(zoneId, "db.example.com")).toEqual({ values: ["198.51.100.8"], ttl: 10 });
  });

  it("answers undefined for a name without an A record, even when a later name has one", async () => {
    // Prepare
    await dns.upsertARecord(zoneId, "reports.example.com", "198.51.100.9", 60);
    // Act
    const record = await dns.getARecord(zoneId, "db.example.com");
    // Assess
    expect(record).toBeUndefined();
  });

  it("absorbs Route 53 throttling within its retries", async () => {
    // Prepare: fewer throttled answers than the client's 5 attempts
    const before = await awsThrottledCount();
    await throttleAws("route53", 2, "ChangeResourceRecordSets");
    // Act
    const changeId = await dns.upsertARecord(zoneId, "db.example.com", "198.51.100.7", 10);
    // Assess
    expect(changeId).toBeTruthy();
    expect((await awsThrottledCount()) - before).toBe(2);
  });

  it("reports Route 53 throttling that outlasts its retries as AwsThrottledError", async () => {
    // Prepare
    await throttleAws("route53", 5, "ListResourceRecordSets");
    // Act
    const read = dns.getARecord(zoneId, "db.example.com");
    // Assess
    await expect(read).rejects.toMatchObject({ name: "AwsThrottledError", code: "Throttling" });
    // Adaptive mode also slows the client itself down: this takes several seconds.
  }, 60_000);
});

describe("SnsNotifier against moto", () => {
  let snsClient: SNSClient;

  beforeEach(() => {
    snsClient = createSnsClient();
  });

  it("publishes to the topic, with a subject longer than SNS allows cut down", async () => {
    // Prepare
    const topic = await snsClient.send(new CreateTopicCommand({ Name: "baton-it" }));
    const notifier = new SnsNotifier(snsClient, topic.TopicArn ?? "");
    // Act
    const published = notifier.publish(`Failover of postgres ${"x".repeat(200)}`, "db-a -> db-b");
    // Assess
    await expect(published).resolves.toBeUndefined();
  });

  it("reports a missing topic as rejected", async () => {
    // Prepare
    const notifier = new SnsNotifier(snsClient, "arn:aws:sns:us-east-1:123456789012:nope");
    // Act
    const published = notifier.publish("subject", "message");
    // Assess
    await expect(published).rejects.toMatchObject({ name: "AwsRejectedError", code: "NotFound" });
  });
});
