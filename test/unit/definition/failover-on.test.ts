import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../../lib/core/definition/index.js";
import { validDocument } from "./fixture.js";

// failoverOn: the alarms that fail a group over (docs/definition.md). Bad entries are refused with the field named.

function withAlarms(failoverOn: unknown) {
  const document = validDocument() as { groups: Record<string, unknown>[] };
  document.groups[0]!.failoverOn = failoverOn;
  return parseDefinition(document);
}

const ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:db-a-status";

describe("failoverOn", () => {
  it("accepts alarm names, ARNs of the cluster's region, and { alarm, node } entries, by name", () => {
    // Act
    const result = withAlarms(["pg-health", ARN, { alarm: "db-b-status", node: "db-b" }]);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.definition.groups[0]!.failoverOn).toEqual([
      { alarm: "pg-health", node: null },
      { alarm: "db-a-status", node: null },
      { alarm: "db-b-status", node: "db-b" },
    ]);
    expect(result.definition.groups[1]!.failoverOn).toEqual([]);
  });

  it.each([
    [
      "an ARN in another region",
      ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"],
      "groups[0].failoverOn[0]",
      "is in region eu-west-1, not the cluster's region us-east-1",
    ],
    [
      "an ARN that is not an alarm's",
      ["arn:aws:sns:us-east-1:123456789012:x"],
      "groups[0].failoverOn[0]",
      "is not a CloudWatch alarm ARN",
    ],
    ["an empty name", [""], "groups[0].failoverOn[0]", "a CloudWatch alarm name"],
    ["a name of 256 characters", ["a".repeat(256)], "groups[0].failoverOn[0]", "1 to 255 characters"],
    [
      "a node that does not own the group",
      [{ alarm: "x", node: "office-1" }],
      "groups[0].failoverOn[0].node",
      "is not a preferred owner",
    ],
    [
      "an entry with another key",
      [{ alarm: "x", nodes: "db-a" }],
      "groups[0].failoverOn[0]",
      "allowed keys: alarm, node",
    ],
    ["not a list", "pg-health", "groups[0].failoverOn", "a list of CloudWatch alarm names or ARNs"],
    ["the same alarm twice", ["pg-health", "pg-health"], "groups[0].failoverOn[1]", "is listed twice"],
  ])("refuses %s, naming the field", (_case, failoverOn, path, message) => {
    // Act
    const result = withAlarms(failoverOn);
    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) as unknown })]),
    );
  });
});
