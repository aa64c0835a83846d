import { App, Stack, type PolicyValidationPluginReport } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { FailoverCluster } from "../../lib/infra/failover-cluster.js";
import {
  examplePath,
  exampleVariant,
  removeCloudAssemblies,
  synthesize,
  withFailoverAlarms,
  withoutControllerResources,
} from "./synth.js";

const AGNOSTIC = "the example in an environment-agnostic stack";
const MINIMAL = "a definition without volume, address or record";
const ALARMS = "a definition whose group names alarms (alarm-driven failover)";
const stacks: Record<string, Stack> = {};

afterAll(removeCloudAssemblies);

beforeAll(() => {
  stacks.example = synthesize().stack;
  // The acknowledgements that depend on the definition (wildcard resources) must hold either way,
  // and with the account and region left to deployment (tokens in the ARNs that findings name).
  stacks[MINIMAL] = synthesize(exampleVariant(withoutControllerResources), { bundle: false }).stack;
  stacks[ALARMS] = synthesize(exampleVariant(withFailoverAlarms), { bundle: false }).stack;
  const agnostic = new Stack(new App({ context: { "aws:cdk:bundling-stacks": [] } }), "Agnostic");
  new FailoverCluster(agnostic, "Cluster", { definition: ClusterDefinitionSource.fromFile(examplePath) });
  stacks[AGNOSTIC] = agnostic;
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
  it.each(["example", MINIMAL, ALARMS, AGNOSTIC])("has no unacknowledged finding for %s", (name) => {
    // Prepare
    const checks = pack();
    // Act
    const report = checks.validateScope(stacks[name]!);
    // Assess
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });
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
