import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { evaluateGuard } from "../../../lib/core/controller/guard.js";
import type { GuardRecord } from "../../../lib/core/controller/records.js";

// Ids that are reserved names, which the definition refuses, forced into the controller's core: no lookup
// may take them for the properties every object has.

const LEASE = 10_000;

function health(up: string[], down: string[]): Map<string, NodeHealth> {
  const entry = (id: string, isUp: boolean): [string, NodeHealth] => [
    id,
    nodeHealth(id, {
      up: isUp,
      lastHeardAt: 0,
      upSince: isUp ? 0 : null,
      leaseOver: !isUp,
    }),
  ];
  return new Map([...up.map((id) => entry(id, true)), ...down.map((id) => entry(id, false))]);
}

describe("mass-failure guard with node ids that are reserved names", () => {
  it("counts __proto__ and constructor as voters, and freezes when both fall silent at once", () => {
    // Prepare: three nodes up; two of them (more than half) fall silent within one lease window.
    const first = evaluateGuard(null, health(["__proto__", "constructor", "db-a"], []), 0, LEASE);
    // Act
    const silent = evaluateGuard(first.record, health(["db-a"], ["__proto__", "constructor"]), 2_000, LEASE);
    // Assess
    expect(first.voters).toBe(3);
    expect(Object.keys(first.record.voters).sort()).toEqual(["__proto__", "constructor", "db-a"]);
    expect(silent).toMatchObject({ event: "guard-frozen", voters: 3 });
    expect([...silent.silent].sort()).toEqual(["__proto__", "constructor"]);
  });

  it("reads stored voters named toString and __proto__ as the voters they are", () => {
    // Prepare: the stored record, as the table's JSON text gives it back.
    const previous: GuardRecord = {
      version: 4,
      frozen: false,
      since: 0,
      voters: JSON.parse(
        '{"toString": {"removedAt": null}, "__proto__": {"removedAt": null}}',
      ) as GuardRecord["voters"],
    };
    // Act: the same two nodes still up: nothing to write.
    const decision = evaluateGuard(previous, health(["toString", "__proto__"], []), 1_000, LEASE);
    // Assess
    expect(decision).toMatchObject({ changed: false, voters: 2 });
  });
});
