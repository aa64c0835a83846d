import { describe, expect, it } from "vitest";
import { AwsThrottledError } from "../../../lib/core/aws-errors.js";
import { EXAMPLE_DNS, exampleDns } from "../../support/fakes/dns.js";

const { zone, db, reports } = EXAMPLE_DNS;

describe("FakeDns", () => {
  it("holds the example zone's records and matches names without case or trailing dot", async () => {
    // Prepare
    const dns = exampleDns({ db: "10.0.1.11" });
    // Act
    const [dbRecord, reportsRecord, none] = await Promise.all([
      dns.getARecord(zone, "DB.example.com."),
      dns.getARecord(zone, reports),
      dns.getARecord(zone, "other.example.com"),
    ]);
    // Assess
    expect(dbRecord).toEqual({ values: ["10.0.1.11"], ttl: 10 });
    expect(reportsRecord).toEqual({ values: ["203.0.113.10"], ttl: 10 });
    expect(none).toBeUndefined();
  });

  it("applies an upsert at once and reports its change PENDING for pendingChecks calls, then INSYNC", async () => {
    // Prepare
    const dns = exampleDns({}, { pendingChecks: 2 });
    // Act
    const changeId = await dns.upsertARecord(zone, db, "10.0.1.12", 10);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await dns.changeStatus(changeId));
    // Assess
    expect(dns.peekRecord(zone, db)).toEqual({ values: ["10.0.1.12"], ttl: 10 });
    expect(statuses).toEqual(["PENDING", "PENDING", "INSYNC"]);
  });

  it("refuses an unknown zone or change with the Route 53 code", async () => {
    // Prepare
    const dns = exampleDns();
    // Act
    const upsert = dns.upsertARecord("ZNOPE", db, "10.0.1.12", 10);
    const status = dns.changeStatus("/change/CNOPE");
    // Assess
    await expect(upsert).rejects.toMatchObject({ code: "NoSuchHostedZone", operation: "ChangeResourceRecordSets" });
    await expect(status).rejects.toMatchObject({ code: "NoSuchChange", operation: "GetChange" });
  });

  it("throttles the next K calls of an operation without applying them", async () => {
    // Prepare
    const dns = exampleDns().throttle("upsertARecord", 1);
    // Act
    const throttled = dns.upsertARecord(zone, db, "10.0.1.12", 10);
    // Assess
    await expect(throttled).rejects.toBeInstanceOf(AwsThrottledError);
    expect(dns.peekRecord(zone, db)?.values).toEqual(["10.0.1.11"]);
    await expect(dns.upsertARecord(zone, db, "10.0.1.12", 10)).resolves.toMatch(/^\/change\//);
    expect(dns.callsOf("upsertARecord").map((c) => c.outcome)).toEqual(["AwsThrottledError", "ok"]);
  });
});
