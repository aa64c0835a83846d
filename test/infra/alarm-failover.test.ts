import type { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CfnResourceJson,
  exampleVariant,
  lambdaFunction,
  removeCloudAssemblies,
  render,
  synthesize,
  withFailoverAlarms,
} from "./synth.js";

// Alarm-driven failover's rule: only when a group names alarms, only those alarms into ALARM, and the controller
// invocable by EventBridge from that rule only.

let withAlarms: Template;
let without: Template;

afterAll(removeCloudAssemblies);
beforeAll(() => {
  without = synthesize(undefined, { bundle: false }).template;
  withAlarms = synthesize(exampleVariant(withFailoverAlarms), { bundle: false }).template;
});

function rules(template: Template): [string, CfnResourceJson][] {
  return Object.entries(template.findResources("AWS::Events::Rule") as Record<string, CfnResourceJson>).filter(
    ([, rule]) => rule.Properties?.EventPattern !== undefined,
  );
}

describe("the alarm-driven failover rule", () => {
  it("does not exist when no group names an alarm", () => {
    // Act
    const found = rules(without);
    // Assess
    expect(found).toEqual([]);
  });

  it("matches the named alarms' changes to ALARM only, and invokes the controller", () => {
    // Prepare
    const controller = lambdaFunction(withAlarms, "baton-controller").id;
    // Act
    const found = rules(withAlarms);
    // Assess
    expect(found).toHaveLength(1);
    const [, rule] = found[0]!;
    const pattern = rule.Properties!.EventPattern as Record<string, unknown>;
    expect(pattern.source).toEqual(["aws.cloudwatch"]);
    expect(pattern["detail-type"]).toEqual(["CloudWatch Alarm State Change"]);
    expect(pattern.detail).toEqual({ state: { value: ["ALARM"] } });
    expect((pattern.resources as unknown[]).map(render).sort()).toEqual(
      [
        "arn:${AWS::Partition}:cloudwatch:us-east-1:123456789012:alarm:db-a-status-check",
        "arn:${AWS::Partition}:cloudwatch:us-east-1:123456789012:alarm:db-b-status-check",
        "arn:${AWS::Partition}:cloudwatch:us-east-1:123456789012:alarm:pg-health",
      ].sort(),
    );
    const targets = rule.Properties!.Targets as { Arn: unknown }[];
    expect(targets.map((t) => t.Arn)).toEqual([{ "Fn::GetAtt": [controller, "Arn"] }]);
  });

  it("lets EventBridge invoke the controller from that rule only", () => {
    // Prepare
    const controller = lambdaFunction(withAlarms, "baton-controller").id;
    const [ruleId] = rules(withAlarms)[0]!;
    // Act
    const permissions = Object.values(
      withAlarms.findResources("AWS::Lambda::Permission") as Record<string, CfnResourceJson>,
    ).filter((p) => JSON.stringify(p.Properties?.SourceArn).includes(ruleId));
    // Assess
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties).toEqual({
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [controller, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });
});
