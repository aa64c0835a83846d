import { describe, expect, it } from "vitest";
import { groupItem, readGroupItem, readGroupOwnership } from "../../../lib/aws/records/group-item.js";

describe("the group item's codec (one reader for the controller and the heartbeat function)", () => {
  it("gives the heartbeat function the owner, epoch and desired states the controller reads, from any item", () => {
    // Prepare: a well-formed item, and items a hand edit or an older Baton may leave.
    const items: Record<string, unknown>[] = [
      { owner: "db-a", epoch: 3, status: "online", desired: { postgres: "online", "pg-mount": "offline" } },
      { owner: 7, epoch: "3", status: "sleeping", desired: { postgres: "on", ip: "online", __proto__: "online" } },
      { desired: ["online"] },
      {},
    ];
    for (const item of items) {
      // Act
      const record = readGroupItem("postgres", item);
      const ownership = readGroupOwnership(item);
      // Assess
      expect(ownership.owner).toBe(record.owner);
      expect(ownership.epoch).toBe(record.epoch);
      expect(ownership.desired).toEqual(record.desired);
    }
    expect(readGroupOwnership(items[1]!)).toEqual({ owner: null, epoch: 0, desired: { ip: "online" }, status: null });
  });

  it("reads back what it writes", () => {
    // Prepare
    const record = readGroupItem("postgres", {
      version: 4,
      owner: "db-b",
      epoch: 2,
      status: "online",
      statusReason: "placed",
      since: 1_000,
      failovers: [900],
      failedOn: { "db-a": 900 },
      desired: { postgres: "online" },
    });
    // Act
    const written = groupItem(record);
    // Assess
    expect(written).toMatchObject({ pk: "state", sk: "group#postgres", owner: "db-b", epoch: 2 });
    expect(readGroupItem("postgres", written)).toEqual(record);
  });
});
