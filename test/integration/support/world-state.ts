import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import type { GroupRecord } from "../../../lib/core/controller/records.js";
import type { ClusterWorld } from "./cluster-world.js";

/** What the table and moto say now: the assertions of the controller's integration tests. */
export function worldState(world: ClusterWorld) {
  const ec2 = new EC2Client({});
  return {
    async group(id: string): Promise<GroupRecord | undefined> {
      const snapshot = await new DynamoClusterStateStore(new DynamoDBClient({}), world.tableName).readSnapshot();
      return snapshot.groups.get(id);
    },
    async instance(id: string) {
      return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    },
    async addressInstance(): Promise<string | undefined> {
      const out = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [world.allocationId] }));
      return out.Addresses?.[0]?.InstanceId;
    },
    async volumeAttachments(): Promise<[string | undefined, string | undefined][]> {
      const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [world.volumeId] }));
      return (out.Volumes?.[0]?.Attachments ?? []).map((a) => [a.InstanceId, a.Device]);
    },
    async recordValue(name: string): Promise<string | undefined> {
      const out = await new Route53Client({}).send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: world.hostedZoneId,
          StartRecordName: name,
          StartRecordType: "A",
        }),
      );
      return out.ResourceRecordSets?.find((r) => r.Name === `${name}.`)?.ResourceRecords?.[0]?.Value;
    },
  };
}
