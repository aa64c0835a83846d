import { describe, expect, it } from "vitest";
import { parseAnswer } from "../../../lib/core/agent/answer-check.js";
import type { HeartbeatAnswer } from "../../../lib/core/heartbeat/answer.js";
import { acceptAnswer, answerContext } from "../../../lib/core/agent/state.js";
import { systemd } from "../../support/reserved-ids.js";
import { BOOT } from "./fakes.js";
import { answerBody, wireGroup, type WireGroup } from "./fixture.js";
import { Harness } from "./harness.js";

// Ids that are reserved names: the definition refuses them and the agent refuses an answer naming one,
// so they are forced in here, past the answer's checks, to show the supervisor takes no id for a
// property every object has.

/** `groups` arrives as an answer read off the wire (JSON.parse: __proto__ is a key), its checks skipped. */
function force(h: Harness, groups: readonly WireGroup[], seq: number): Harness {
  const body = answerBody({ nodeId: "db-a", bootId: BOOT, seq }, groups);
  h.state = acceptAnswer(h.state, JSON.parse(JSON.stringify(body)) as HeartbeatAnswer, h.now);
  return h.decide();
}

const SPECS = [systemd("__proto__"), systemd("constructor", ["__proto__"])].map((resource) => ({
  ...resource,
  dependsOn: [...resource.dependsOn],
}));

describe("agent, with ids that are reserved names", () => {
  it("starts __proto__ and constructor and reports both, and the epoch of group __proto__", () => {
    // Act
    const h = force(new Harness(), [wireGroup("__proto__", SPECS, "db-a", 3)], 1).settleAll();
    // Assess
    expect(h.issued).toEqual(["start __proto__", "start constructor"]);
    expect(Object.entries(h.report)).toEqual([
      ["__proto__", "online"],
      ["constructor", "online"],
    ]);
    expect(Object.entries(h.last?.epochs ?? {})).toEqual([["__proto__", 3]]);
  });

  it("says a resource the answer no longer names is no longer listed, whatever its name", () => {
    // Prepare: constructor runs; then an answer keeps the group but no longer names constructor.
    const h = force(new Harness(), [wireGroup("web", [systemd("constructor")], "db-a", 3)], 1).settleAll();
    // Act
    force(h, [{ id: "web", owner: "db-a", epoch: 3, resources: {}, agentResources: [] }], 2);
    // Assess
    expect(h.messages()).toContain("stopping constructor (group web): the cluster no longer lists it for this node");
  });

  it("refuses an answer that names a reserved id, saying which field", () => {
    // Prepare
    const h = new Harness();
    const body = answerBody({ nodeId: "db-a", bootId: BOOT, seq: 1 }, [wireGroup("web", SPECS, "db-a", 3)]);
    // Act
    const result = parseAnswer(JSON.parse(JSON.stringify(body)), answerContext(h.state, BOOT, 1));
    // Assess
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((problem) => problem.path);
    expect(paths).toContain("groups[0].agentResources[0].id");
    expect(paths).toContain("groups[0].agentResources[1].id");
  });
});
