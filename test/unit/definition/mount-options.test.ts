import { describe, expect, it } from "vitest";
import { parseAnswer } from "../../../lib/core/agent/answer-check.js";
import { parseDefinition, type ClusterDefinition } from "../../../lib/core/definition/index.js";
import { agentResourceSpecs } from "../../../lib/core/heartbeat/agent-resources.js";
import { BOOT } from "../agent/fakes.js";
import { answerBody, PG_MOUNT, wireGroup } from "../agent/fixture.js";
import { changed, problemsOf } from "./fixture.js";

const OPTIONS = ["groups", 0, "resources", 1, "options"];

function resolved(document: unknown): ClusterDefinition {
  const result = parseDefinition(document);
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.definition;
}

describe("a mount's options", () => {
  it("travel from the definition to the agent's spec only when the definition names some", () => {
    // Act
    const named = agentResourceSpecs(resolved(changed(OPTIONS, ["noatime", "commit=60", "suid"])).groups[0]!);
    const unnamed = agentResourceSpecs(resolved(changed(OPTIONS, undefined)).groups[0]!);
    // Assess
    expect(named[0]).toMatchObject({ id: "pg-mount", type: "mount", options: ["noatime", "commit=60", "suid"] });
    expect(unnamed[0]).not.toHaveProperty("options");
  });

  it.each([
    [["noatime,nodev"], "options[0]", "is not a mount option"],
    [["no atime"], "options[0]", "is not a mount option"],
    [["noatime", 'context="x"'], "options[1]", "is not a mount option"],
    [["-o"], "options[0]", "is not a mount option"],
    ["noatime", "options", "is not a list of mount options, one per item"],
    [Array.from({ length: 33 }, (_, i) => `x${i}`), "options", "has more than 32 options"],
  ])("refuses %j with a message that says what would do", (options, path, message) => {
    // Act
    const problems = problemsOf(changed(OPTIONS, options));
    // Assess
    expect(problems.map((p) => p.path)).toEqual([`groups[0].resources[1].${path}`]);
    expect(problems[0]?.message).toContain(message);
  });

  it("are refused on any resource but a mount", () => {
    // Act
    const problems = problemsOf(changed(["groups", 0, "resources", 2, "options"], ["noatime"]));
    // Assess
    expect(problems.map((p) => p.path)).toEqual(["groups[0].resources[2].options"]);
  });
});

describe("the agent's check of a mount's options in an answer", () => {
  const sent = { nodeId: "db-a", bootId: BOOT, seq: 1 };

  it("accepts options of the definition's form and refuses any other, the whole answer", () => {
    // Act
    const good = parseAnswer(
      answerBody(sent, [wireGroup("postgres", [{ ...PG_MOUNT, options: ["noatime"] }], "db-a", 1)]),
      sent,
    );
    const bad = parseAnswer(
      answerBody(sent, [wireGroup("postgres", [{ ...PG_MOUNT, options: ["noatime,suid"] }], "db-a", 1)]),
      sent,
    );
    // Assess
    expect(good.ok && good.answer.groups[0]?.agentResources[0]).toMatchObject({ options: ["noatime"] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.map((p) => p.path)).toEqual(["groups[0].agentResources[0].options[0]"]);
  });
});
