import { AttachVolumeCommand, DescribeVolumesCommand, DetachVolumeCommand } from "@aws-sdk/client-ec2";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { describe, expect, it } from "vitest";
import { Ec2Adapter } from "../../../lib/aws/ec2.js";
import { Route53Adapter } from "../../../lib/aws/route53.js";
import { snsSubject } from "../../../lib/aws/sns-notifier.js";
import { AwsRejectedError } from "../../../lib/core/aws-errors.js";

// The idempotent paths answer to errors moto never gives (it lets a detached volume be
// detached, say): here the client answers as EC2 does, by error code.

function awsError(code: string): Error {
  return Object.assign(new Error(`${code} from EC2`), {
    name: code,
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });
}

/** A client whose answers are chosen per command class; records the inputs it was sent. */
function stubClient(answers: Map<unknown, (input: unknown) => unknown>): { client: never; sent: unknown[] } {
  const sent: unknown[] = [];
  const client = {
    send: async (command: { constructor: unknown; input: unknown }) => {
      await Promise.resolve();
      sent.push(command.input);
      const answer = answers.get(command.constructor);
      if (!answer) throw new Error("unexpected command");
      return answer(command.input);
    },
  };
  return { client: client as never, sent };
}

function volumeAnswer(attachments: { InstanceId: string; Device: string; State: string }[]) {
  return () => ({
    Volumes: [
      {
        VolumeId: "vol-1",
        State: attachments.length ? "in-use" : "available",
        AvailabilityZone: "us-east-1a",
        Attachments: attachments,
      },
    ],
  });
}

const reject = (code: string) => () => {
  throw awsError(code);
};

describe("Ec2Adapter on EC2's error codes", () => {
  it("always names the instance in a detach, and adds Force only when asked", async () => {
    // Prepare
    const { client, sent } = stubClient(new Map([[DetachVolumeCommand, () => ({})]]));
    const ec2 = new Ec2Adapter(client);
    // Act
    await ec2.detachVolume("vol-1", "i-a", false);
    await ec2.detachVolume("vol-1", "i-a", true);
    // Assess
    expect(sent).toEqual([
      { VolumeId: "vol-1", InstanceId: "i-a" },
      { VolumeId: "vol-1", InstanceId: "i-a", Force: true },
    ]);
  });

  it.each([
    ["InvalidAttachment.NotFound", []],
    ["IncorrectState", []],
    ["IncorrectState", [{ InstanceId: "i-b", Device: "/dev/xvdf", State: "attached" }]],
  ])("takes %s on a volume no longer on that instance as detached", async (code, attachments) => {
    // Prepare
    const { client } = stubClient(
      new Map<unknown, (input: unknown) => unknown>([
        [DetachVolumeCommand, reject(code)],
        [DescribeVolumesCommand, volumeAnswer(attachments)],
      ]),
    );
    // Act
    const detach = new Ec2Adapter(client).detachVolume("vol-1", "i-a", false);
    // Assess
    await expect(detach).resolves.toBeUndefined();
  });

  it("rethrows IncorrectState when the volume is still attached to that instance", async () => {
    // Prepare
    const { client } = stubClient(
      new Map<unknown, (input: unknown) => unknown>([
        [DetachVolumeCommand, reject("IncorrectState")],
        [DescribeVolumesCommand, volumeAnswer([{ InstanceId: "i-a", Device: "/dev/xvdf", State: "attaching" }])],
      ]),
    );
    // Act
    const detach = new Ec2Adapter(client).detachVolume("vol-1", "i-a", true);
    // Assess
    await expect(detach).rejects.toMatchObject({ name: "AwsRejectedError", code: "IncorrectState" });
  });

  it("takes VolumeInUse as done only when the volume is on that instance at that device", async () => {
    // Prepare
    const attachedTo = (instanceId: string) =>
      stubClient(
        new Map<unknown, (input: unknown) => unknown>([
          [AttachVolumeCommand, reject("VolumeInUse")],
          [DescribeVolumesCommand, volumeAnswer([{ InstanceId: instanceId, Device: "/dev/xvdf", State: "attached" }])],
        ]),
      ).client;
    // Act
    const same = new Ec2Adapter(attachedTo("i-a")).attachVolume("vol-1", "i-a", "/dev/xvdf");
    const other = new Ec2Adapter(attachedTo("i-b")).attachVolume("vol-1", "i-a", "/dev/xvdf");
    // Assess
    await expect(same).resolves.toBeUndefined();
    await expect(other).rejects.toBeInstanceOf(AwsRejectedError);
    await expect(other).rejects.toMatchObject({ code: "VolumeInUse" });
  });
});

describe("Route53Adapter.getARecord", () => {
  it.each([
    ["the next name's record", { Name: "reports.example.com.", Type: "A" }],
    ["the same name's next type", { Name: "db.example.com.", Type: "AAAA" }],
  ])("does not take %s for the record asked for", async (_, record) => {
    // Prepare
    const client = { send: () => Promise.resolve({ ResourceRecordSets: [{ ...record, TTL: 10 }] }) };
    // Act
    const found = await new Route53Adapter(client as unknown as Route53Client).getARecord("Z1", "db.example.com");
    // Assess
    expect(found).toBeUndefined();
  });
});

describe("snsSubject", () => {
  it.each([
    ["Failover of postgres", "Failover of postgres"],
    ["two\nlines\t here ", "two lines here"],
    ["caf\u00e9", "caf?"],
    ["", "Baton"],
  ])("makes %j a subject SNS accepts", (subject, expected) => {
    // Prepare: the subject above
    // Act
    const clean = snsSubject(subject);
    // Assess
    expect(clean).toBe(expected);
  });

  it("cuts a long subject to SNS's 100 characters", () => {
    // Prepare
    const subject = "x".repeat(250);
    // Act
    const clean = snsSubject(subject);
    // Assess
    expect(clean).toHaveLength(100);
    expect(clean.endsWith("...")).toBe(true);
  });
});
