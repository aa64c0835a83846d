import { AwsRejectedError, AwsThrottledError } from "../../../lib/core/aws-errors.js";
import type { DnsPort, RecordView } from "../../../lib/core/controller/adapters.js";

/**
 * A stateful DnsPort for unit tests that behaves as the real adapter (lib/aws/route53.ts) on
 * Route 53: an UPSERT shows in getARecord at once, as in Route 53's API, and its change is
 * PENDING for `pendingChecks` changeStatus calls before INSYNC. Names compare without case and
 * trailing dot. Unknown zone: `NoSuchHostedZone`; unknown change: `NoSuchChange`. Failures are
 * injected with `throttle` / `failNext`; every call is logged in `calls`.
 */
export interface FakeRecord {
  readonly name: string;
  readonly values: readonly string[];
  readonly ttl: number;
}

export interface FakeZone {
  readonly hostedZoneId: string;
  readonly records?: readonly FakeRecord[];
}

export interface FakeDnsWorld {
  readonly zones: readonly FakeZone[];
}

export interface FakeDnsOptions {
  /** changeStatus calls that answer PENDING for a change before it is INSYNC. @default 1 */
  readonly pendingChecks?: number;
}

export type DnsOperation = keyof DnsPort;

export interface DnsCall {
  readonly operation: DnsOperation;
  readonly args: readonly unknown[];
  /** `ok`, or the error's name. */
  readonly outcome: string;
}

const ACTIONS: Record<DnsOperation, string> = {
  getARecord: "ListResourceRecordSets",
  upsertARecord: "ChangeResourceRecordSets",
  changeStatus: "GetChange",
};

export class FakeDns implements DnsPort {
  readonly calls: DnsCall[] = [];
  /** zone id -> normalized name -> record. */
  private readonly zones = new Map<string, Map<string, RecordView>>();
  /** change id -> PENDING answers left. */
  private readonly changes = new Map<string, number>();
  private readonly failures: { operation: DnsOperation; error: () => Error; remaining: number }[] = [];
  private readonly pendingChecks: number;
  private changeCount = 0;

  constructor(world: FakeDnsWorld, options: FakeDnsOptions = {}) {
    this.pendingChecks = options.pendingChecks ?? 1;
    for (const zone of world.zones) {
      this.zones.set(
        zone.hostedZoneId,
        new Map((zone.records ?? []).map((r) => [normalize(r.name), { values: [...r.values], ttl: r.ttl }])),
      );
    }
  }

  /** The next `count` calls of `operation` throw AwsThrottledError (Throttling). */
  throttle(operation: DnsOperation, count = 1): this {
    return this.failNext(operation, () => new AwsThrottledError(ACTIONS[operation], "Throttling"), count);
  }

  /** The next `count` calls of `operation` throw what `error` makes, and change nothing. */
  failNext(operation: DnsOperation, error: () => Error, count = 1): this {
    this.failures.push({ operation, error, remaining: count });
    return this;
  }

  callsOf(operation: DnsOperation): DnsCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** The record as stored, without logging a call. */
  peekRecord(hostedZoneId: string, name: string): RecordView | undefined {
    return this.zones.get(hostedZoneId)?.get(normalize(name));
  }

  getARecord(hostedZoneId: string, name: string): Promise<RecordView | undefined> {
    return this.run("getARecord", [hostedZoneId, name], () => {
      const record = this.zone(hostedZoneId, "getARecord").get(normalize(name));
      return record && { values: [...record.values], ttl: record.ttl };
    });
  }

  upsertARecord(hostedZoneId: string, name: string, address: string, ttl: number): Promise<string> {
    return this.run("upsertARecord", [hostedZoneId, name, address, ttl], () => {
      this.zone(hostedZoneId, "upsertARecord").set(normalize(name), { values: [address], ttl });
      this.changeCount += 1;
      const id = `/change/C${String(this.changeCount).padStart(6, "0")}`;
      this.changes.set(id, this.pendingChecks);
      return id;
    });
  }

  changeStatus(changeId: string): Promise<"PENDING" | "INSYNC"> {
    return this.run("changeStatus", [changeId], () => {
      const pending = this.changes.get(changeId);
      if (pending === undefined) {
        throw new AwsRejectedError(ACTIONS.changeStatus, "NoSuchChange", `${changeId} does not exist`);
      }
      if (pending <= 0) return "INSYNC";
      this.changes.set(changeId, pending - 1);
      return "PENDING";
    });
  }

  private async run<T>(operation: DnsOperation, args: unknown[], body: () => T): Promise<T> {
    await Promise.resolve();
    const failure = this.failures.find((f) => f.operation === operation && f.remaining > 0);
    try {
      if (failure) {
        failure.remaining -= 1;
        throw failure.error();
      }
      const result = body();
      this.calls.push({ operation, args, outcome: "ok" });
      return result;
    } catch (error) {
      this.calls.push({ operation, args, outcome: error instanceof Error ? error.name : "error" });
      throw error;
    }
  }

  private zone(hostedZoneId: string, operation: DnsOperation): Map<string, RecordView> {
    const zone = this.zones.get(hostedZoneId);
    if (!zone) throw new AwsRejectedError(ACTIONS[operation], "NoSuchHostedZone", `${hostedZoneId} does not exist`);
    return zone;
  }
}

function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}

// ---- examples/cluster.yaml ----

export const EXAMPLE_DNS = {
  zone: "Z0A1B2C3D4E5F6",
  db: "db.example.com",
  reports: "reports.example.com",
  ttl: 10,
} as const;

/**
 * The example cluster's hosted zone with its two A records: db.example.com on `db` (default
 * db-a's private IP as in fakes/ec2.ts) and reports.example.com on `reports` (default office-1's
 * 203.0.113.10). Pass null to leave a record out.
 */
export function exampleDnsWorld(values: { db?: string | null; reports?: string | null } = {}): FakeDnsWorld {
  const db = values.db === undefined ? "10.0.1.11" : values.db;
  const reports = values.reports === undefined ? "203.0.113.10" : values.reports;
  const records: FakeRecord[] = [];
  if (db !== null) records.push({ name: EXAMPLE_DNS.db, values: [db], ttl: EXAMPLE_DNS.ttl });
  if (reports !== null) records.push({ name: EXAMPLE_DNS.reports, values: [reports], ttl: EXAMPLE_DNS.ttl });
  return { zones: [{ hostedZoneId: EXAMPLE_DNS.zone, records }] };
}

/** A FakeDns on the example cluster's zone. */
export function exampleDns(values: Parameters<typeof exampleDnsWorld>[0] = {}, options: FakeDnsOptions = {}): FakeDns {
  return new FakeDns(exampleDnsWorld(values), options);
}
