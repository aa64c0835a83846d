import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import type { DnsPort, RecordView } from "../core/controller/adapters.js";
import { awsCall } from "./aws-call.js";

/** DnsPort on the Route 53 API; errors by kind and code through awsCall. */
export class Route53Adapter implements DnsPort {
  constructor(private readonly client: Route53Client) {}

  /**
   * One ListResourceRecordSets page of one item, starting at (name, A): the first record at or
   * after that point in Route 53's order, so it is ours only if name and type match exactly.
   */
  async getARecord(hostedZoneId: string, name: string): Promise<RecordView | undefined> {
    const out = await awsCall("ListResourceRecordSets", () =>
      this.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          StartRecordName: name,
          StartRecordType: "A",
          MaxItems: 1,
        }),
      ),
    );
    const record = out.ResourceRecordSets?.[0];
    if (!record || record.Type !== "A" || fqdn(record.Name ?? "") !== fqdn(name)) return undefined;
    return {
      values: (record.ResourceRecords ?? []).flatMap((r) => (r.Value === undefined ? [] : [r.Value])),
      ttl: record.TTL ?? 0,
    };
  }

  async upsertARecord(hostedZoneId: string, name: string, address: string, ttl: number): Promise<string> {
    const out = await awsCall("ChangeResourceRecordSets", () =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId,
          ChangeBatch: {
            Comment: "Baton failover",
            Changes: [
              {
                Action: "UPSERT",
                ResourceRecordSet: { Name: name, Type: "A", TTL: ttl, ResourceRecords: [{ Value: address }] },
              },
            ],
          },
        }),
      ),
    );
    const id = out.ChangeInfo?.Id;
    if (!id) throw new Error(`ChangeResourceRecordSets for ${name} answered without a change id`);
    return id;
  }

  async changeStatus(changeId: string): Promise<"PENDING" | "INSYNC"> {
    const out = await awsCall("GetChange", () => this.client.send(new GetChangeCommand({ Id: changeId })));
    return out.ChangeInfo?.Status === "INSYNC" ? "INSYNC" : "PENDING";
  }
}

/** Route 53 names end with a dot and compare without regard to case. */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}
