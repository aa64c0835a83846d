import { type AttributeValue, DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import { LOG_PARTITION_PREFIX } from "../../../lib/aws/table-layout.js";
import { logDays } from "../../../lib/cli/history.js";
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
    /**
     * The cluster log's entries as stored, from every UTC day partition between `since` (epoch ms) and now, oldest
     * day first: a test may run across midnight, and an entry then lies in the day before the one it is read on.
     */
    async logEntries(since: number): Promise<Record<string, unknown>[]> {
      const client = new DynamoDBClient({});
      const entries: Record<string, unknown>[] = [];
      for (const partition of logDays(since, Date.now()).map((day) => `${LOG_PARTITION_PREFIX}${day}`)) {
        let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
        do {
          const out = await client.send(
            new QueryCommand({
              TableName: world.tableName,
              KeyConditionExpression: "pk = :day",
              ExpressionAttributeValues: { ":day": { S: partition } },
              ExclusiveStartKey,
            }),
          );
          entries.push(...(out.Items ?? []).map((i) => unmarshall(i)));
          ExclusiveStartKey = out.LastEvaluatedKey;
        } while (ExclusiveStartKey);
      }
      return entries;
    },
  };
}
