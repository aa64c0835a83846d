import {
  AssociateAddressCommand,
  AttachVolumeCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { AwsRejectedError } from "../core/aws-errors.js";
import type { AddressView, Ec2Port, InstanceView, VolumeView } from "../core/controller/adapters.js";
import { awsCall } from "./aws-call.js";

/**
 * Ec2Port on the EC2 API. Every call goes through awsCall (errors by kind and code); the
 * calls a failover repeats are idempotent here: detaching what is already detached and
 * attaching what is already attached, to that instance at that device, succeed.
 */
export class Ec2Adapter implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  async describeInstance(instanceId: string): Promise<InstanceView | undefined> {
    try {
      const out = await awsCall("DescribeInstances", () =>
        this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
      );
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      if (!instance) return undefined;
      return {
        instanceId,
        // EC2's InstanceStateName is the port's InstanceState.
        state: instance.State?.Name ?? "pending",
        availabilityZone: instance.Placement?.AvailabilityZone ?? "",
        privateIp: instance.PrivateIpAddress ?? null,
        publicIp: instance.PublicIpAddress ?? null,
      };
    } catch (error) {
      if (isRejected(error, "InvalidInstanceID.NotFound")) return undefined;
      throw error;
    }
  }

  async stopInstance(instanceId: string, force: boolean): Promise<void> {
    await awsCall("StopInstances", () =>
      this.client.send(new StopInstancesCommand({ InstanceIds: [instanceId], Force: force })),
    );
  }

  async describeVolume(volumeId: string): Promise<VolumeView | undefined> {
    try {
      const out = await awsCall("DescribeVolumes", () =>
        this.client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })),
      );
      const volume = out.Volumes?.find((v) => v.VolumeId === volumeId);
      if (!volume) return undefined;
      return {
        volumeId,
        state: volume.State ?? "creating",
        availabilityZone: volume.AvailabilityZone ?? "",
        attachments: (volume.Attachments ?? []).map((a) => ({
          instanceId: a.InstanceId ?? "",
          device: a.Device ?? "",
          state: a.State ?? "attaching",
        })),
      };
    } catch (error) {
      if (isRejected(error, "InvalidVolume.NotFound")) return undefined;
      throw error;
    }
  }

  /**
   * Always names the instance, so that a retried detach never takes the volume from a new
   * owner. Already detached (IncorrectState on an available volume, or no such attachment)
   * succeeds; so does a plain detach of a volume already detaching from that instance.
   */
  async detachVolume(volumeId: string, instanceId: string, force: boolean): Promise<void> {
    try {
      await awsCall("DetachVolume", () =>
        this.client.send(
          new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, ...(force ? { Force: true } : {}) }),
        ),
      );
    } catch (error) {
      if (isRejected(error, "InvalidAttachment.NotFound")) return;
      if (isRejected(error, "IncorrectState")) {
        const volume = await this.describeVolume(volumeId);
        const attachment = volume?.attachments.find((a) => a.instanceId === instanceId);
        if (!attachment || attachment.state === "detached") return;
        if (attachment.state === "detaching" && !force) return;
      }
      throw error;
    }
  }

  /** VolumeInUse succeeds when a describe shows the volume on that instance at that device. */
  async attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    try {
      await awsCall("AttachVolume", () =>
        this.client.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device })),
      );
    } catch (error) {
      if (isRejected(error, "VolumeInUse")) {
        const volume = await this.describeVolume(volumeId);
        const attached = volume?.attachments.some(
          (a) =>
            a.instanceId === instanceId && a.device === device && (a.state === "attached" || a.state === "attaching"),
        );
        if (attached) return;
      }
      throw error;
    }
  }

  async describeAddress(allocationId: string): Promise<AddressView | undefined> {
    try {
      const out = await awsCall("DescribeAddresses", () =>
        this.client.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })),
      );
      const address = out.Addresses?.find((a) => a.AllocationId === allocationId);
      if (!address) return undefined;
      return { allocationId, publicIp: address.PublicIp ?? "", instanceId: address.InstanceId || null };
    } catch (error) {
      if (isRejected(error, "InvalidAllocationID.NotFound")) return undefined;
      throw error;
    }
  }

  async associateAddress(allocationId: string, instanceId: string): Promise<void> {
    await awsCall("AssociateAddress", () =>
      this.client.send(
        new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true }),
      ),
    );
  }
}

function isRejected(error: unknown, code: string): error is AwsRejectedError {
  return error instanceof AwsRejectedError && error.code === code;
}
