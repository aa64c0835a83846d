import { describe, expect, it } from "vitest";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";
import type { GroupOwnership } from "../../../lib/core/heartbeat/store.js";
import { reservedDefinition } from "../../support/reserved-ids.js";

const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";

describe("the heartbeat answer, with ids that are reserved names (refused by the definition, forced here)", () => {
  it("names every agent resource with its desired state, __proto__ and constructor included", () => {
    // Prepare: db-a owns the group; the controller named two resources online (its map read from JSON, own keys).
    const index = indexCluster(reservedDefinition());
    const desired = JSON.parse('{"__proto__": "online", "constructor": "online"}') as GroupOwnership["desired"];
    const ownership = new Map([["__proto__", { owner: "db-a", epoch: 3, desired, status: "moving" }]]);
    const heartbeat = { nodeId: "db-a", bootId: BOOT, seq: 1, resources: {}, leaving: false };
    // Act
    const answer = answerFor(index, heartbeat, 0, ownership);
    // Assess: as the agent reads it off the wire.
    const wire = JSON.parse(JSON.stringify(answer)) as { groups: { id: string; resources: object }[] };
    expect(wire.groups.map((group) => group.id)).toEqual(["__proto__"]);
    expect(Object.entries(wire.groups[0]!.resources)).toEqual([
      ["__proto__", "online"],
      ["constructor", "online"],
      ["toString", "offline"],
    ]);
    expect(answer.groups[0]!.agentResources.map((spec) => spec.id)).toEqual(["__proto__", "constructor", "toString"]);
  });

  it("sends a node that does not own the group every resource offline, toString included", () => {
    // Prepare: nothing written for the group yet.
    const index = indexCluster(reservedDefinition());
    const heartbeat = { nodeId: "constructor", bootId: BOOT, seq: 1, resources: {}, leaving: false };
    // Act
    const answer = answerFor(index, heartbeat, 0, new Map());
    // Assess
    const wire = JSON.parse(JSON.stringify(answer)) as { groups: { resources: object }[] };
    expect(Object.entries(wire.groups[0]!.resources)).toEqual([
      ["__proto__", "offline"],
      ["constructor", "offline"],
      ["toString", "offline"],
    ]);
  });
});
