import { describe, expect, it } from "vitest";
import { AwsRejectedError, AwsThrottledError } from "../../../lib/core/aws-errors.js";
import { EXAMPLE_EC2, exampleEc2, FakeEc2 } from "../../support/fakes/ec2.js";

const { dbA, dbB, volume, device, allocation } = EXAMPLE_EC2;

describe("FakeEc2", () => {
  it("starts from the example world: volume and address on db-a", async () => {
    // Prepare
    const ec2 = exampleEc2();
    // Act
    const [vol, address, instance] = await Promise.all([
      ec2.describeVolume(volume),
      ec2.describeAddress(allocation),
      ec2.describeInstance(dbB),
    ]);
    // Assess
    expect(vol).toMatchObject({ state: "in-use", attachments: [{ instanceId: dbA, device, state: "attached" }] });
    expect(address?.instanceId).toBe(dbA);
    expect(instance).toMatchObject({ state: "running", availabilityZone: "us-east-1a", publicIp: null });
  });

  it("shows a detach as detaching for detachDescribes describes, then available", async () => {
    // Prepare
    const ec2 = exampleEc2({}, { detachDescribes: 2 });
    // Act
    await ec2.detachVolume(volume, dbA, false);
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await ec2.describeVolume(volume))?.attachments[0]?.state ?? "none");
    // Assess
    expect(states).toEqual(["detaching", "detaching", "none"]);
    expect(ec2.peekVolume(volume)?.state).toBe("available");
  });

  it("completes a detach after detachMs on the injected clock", async () => {
    // Prepare
    let now = 1_000;
    const ec2 = exampleEc2({}, { detachMs: 5_000, clock: () => now });
    await ec2.detachVolume(volume, dbA, false);
    // Act
    const early = await ec2.describeVolume(volume);
    now += 5_000;
    const late = await ec2.describeVolume(volume);
    // Assess
    expect(early?.state).toBe("in-use");
    expect(late?.state).toBe("available");
  });

  it("keeps a stuck detach detaching until a detach with force", async () => {
    // Prepare
    const ec2 = exampleEc2({}, { detachDescribes: 0 }).stickDetach(volume);
    await ec2.detachVolume(volume, dbA, false);
    await ec2.detachVolume(volume, dbA, false);
    // Act
    const stuck = await ec2.describeVolume(volume);
    await ec2.detachVolume(volume, dbA, true);
    const forced = await ec2.describeVolume(volume);
    // Assess
    expect(stuck?.attachments[0]?.state).toBe("detaching");
    expect(forced?.state).toBe("available");
  });

  it("refuses attaches as EC2 does: detaching, in use elsewhere, other zone", async () => {
    // Prepare
    const ec2 = new FakeEc2({
      instances: [
        { instanceId: "i-a", availabilityZone: "us-east-1a" },
        { instanceId: "i-b", availabilityZone: "us-east-1a" },
        { instanceId: "i-c", availabilityZone: "us-east-1b" },
      ],
      volumes: [
        { volumeId: "vol-1", availabilityZone: "us-east-1a", attachments: [{ instanceId: "i-a", device }] },
        {
          volumeId: "vol-2",
          availabilityZone: "us-east-1a",
          attachments: [{ instanceId: "i-a", device: "/dev/xvdg" }],
        },
        { volumeId: "vol-3", availabilityZone: "us-east-1a" },
      ],
      addresses: [],
    });
    await ec2.detachVolume("vol-2", "i-a", false);
    // Act
    const codes = await Promise.all(
      [ec2.attachVolume("vol-1", "i-b", device), ec2.attachVolume("vol-2", "i-b", device)].map((p) =>
        p.then(
          () => "ok",
          (e: AwsRejectedError) => e.code,
        ),
      ),
    );
    const zone = ec2.attachVolume("vol-3", "i-c", device);
    // Assess
    expect(codes).toEqual(["VolumeInUse", "IncorrectState"]);
    await expect(zone).rejects.toMatchObject({ code: "InvalidVolume.ZoneMismatch" });
  });

  it("attaches (attaching, then attached) and takes a repeated attach or detach as done", async () => {
    // Prepare
    const ec2 = exampleEc2({ owner: null });
    // Act
    await ec2.attachVolume(volume, dbB, device);
    await ec2.attachVolume(volume, dbB, device);
    await ec2.detachVolume(volume, dbA, false);
    const first = await ec2.describeVolume(volume);
    const second = await ec2.describeVolume(volume);
    // Assess
    expect(first?.attachments).toEqual([{ instanceId: dbB, device, state: "attaching" }]);
    expect(second?.attachments).toEqual([{ instanceId: dbB, device, state: "attached" }]);
    expect(ec2.callsOf("attachVolume").map((c) => c.outcome)).toEqual(["ok", "ok"]);
  });

  it("stops an instance through stopping, and lags one describe behind with staleDescribes", async () => {
    // Prepare
    const ec2 = exampleEc2({}, { stopDescribes: 1, staleDescribes: 1 });
    // Act
    await ec2.stopInstance(dbA, true);
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await ec2.describeInstance(dbA))?.state);
    // Assess
    expect(states).toEqual(["running", "stopping", "stopped"]);
    expect(ec2.callsOf("stopInstance")[0]?.args).toEqual([dbA, true]);
  });

  it("moves the address and the instances' public IPs", async () => {
    // Prepare
    const ec2 = exampleEc2();
    // Act
    await ec2.associateAddress(allocation, dbB);
    // Assess
    expect(ec2.peekAddress(allocation)?.instanceId).toBe(dbB);
    expect(ec2.peekInstance(dbB)?.publicIp).toBe(EXAMPLE_EC2.publicIp);
    expect(ec2.peekInstance(dbA)?.publicIp).toBeNull();
  });

  it("throttles the next K calls of an operation without acting, then acts", async () => {
    // Prepare
    const ec2 = exampleEc2().throttle("associateAddress", 2);
    // Act
    const first = ec2.associateAddress(allocation, dbB);
    await expect(first).rejects.toBeInstanceOf(AwsThrottledError);
    await expect(ec2.associateAddress(allocation, dbB)).rejects.toBeInstanceOf(AwsThrottledError);
    const unmoved = ec2.peekAddress(allocation)?.instanceId;
    await ec2.associateAddress(allocation, dbB);
    // Assess
    expect(unmoved).toBe(dbA);
    expect(ec2.peekAddress(allocation)?.instanceId).toBe(dbB);
    expect(ec2.callsOf("associateAddress").map((c) => c.outcome)).toEqual([
      "AwsThrottledError",
      "AwsThrottledError",
      "ok",
    ]);
  });

  it("describes unknown resources as undefined and refuses acting on them", async () => {
    // Prepare
    const ec2 = exampleEc2();
    // Act
    const missing = await ec2.describeVolume("vol-missing");
    const stop = ec2.stopInstance("i-missing", false);
    // Assess
    expect(missing).toBeUndefined();
    await expect(stop).rejects.toBeInstanceOf(AwsRejectedError);
    await expect(stop).rejects.toMatchObject({ code: "InvalidInstanceID.NotFound", operation: "StopInstances" });
  });
});
