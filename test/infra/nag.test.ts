import { App, Stack, type PolicyValidationPluginReport } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleVariant,
  removeCloudAssemblies,
  synthesize,
  withoutControllerResources,
  type Synthesized,
} from "./synth.js";

const synthesized: Record<string, Synthesized> = {};

afterAll(removeCloudAssemblies);

beforeAll(() => {
  synthesized.example = synthesize();
  // The acknowledgements that depend on the definition (wildcard resources) must not be missed either way.
  synthesized["a definition without volume, address or record"] = synthesize(
    exampleVariant(withoutControllerResources),
    { bundle: false },
  );
});

/** One line per finding that no acknowledgement in the code covers. */
function findings(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.constructPath}: ${violation.description}`,
    ),
  );
}

describe.each<[string, () => NagPack]>([
  ["AwsSolutions", () => new AwsSolutionsChecks(undefined, { verbose: true })],
  ["Serverless", () => new ServerlessChecks(undefined, { verbose: true })],
])("cdk-nag %s", (_name, pack) => {
  it.each(["example", "a definition without volume, address or record"])(
    "has no unacknowledged finding for %s",
    (name) => {
      // Prepare
      const checks = pack();
      // Act
      const report = checks.validateScope(synthesized[name]!.stack);
      // Assess
      expect(findings(report)).toEqual([]);
      expect(report.success).toBe(true);
    },
  );
});

describe("the cdk-nag checks", () => {
  it("do report findings when there are some (the checks above are not vacuous)", () => {
    // Prepare
    const stack = new Stack(new App(), "Unsafe");
    new sns.Topic(stack, "PlainTopic");
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    // Assess
    expect(findings(report)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-SNS3 at Unsafe\/PlainTopic\/Resource/)]),
    );
  });
});
