import { describe, expect, it } from "vitest";
import type { NodeDefinition } from "../../../lib/core/definition/types.js";
import { callerIsNode } from "../../../lib/core/heartbeat/identity.js";

const ACCOUNT = "123456789012";
const ec2: NodeDefinition = {
  id: "db-a",
  kind: "ec2",
  instanceId: "i-0a1b2c3d4e5f60001",
  availabilityZone: "us-east-1a",
};
const onpremRole: NodeDefinition = {
  id: "office-1",
  kind: "onprem",
  principal: `arn:aws:iam::${ACCOUNT}:role/nodes/baton-node-office-1`,
  address: "203.0.113.10",
};
const onpremUser: NodeDefinition = { ...onpremRole, principal: `arn:aws:iam::${ACCOUNT}:user/office-1` };

describe("callerIsNode", () => {
  it.each([
    [
      "EC2: instance session of any role in this account",
      ec2,
      `arn:aws:sts::${ACCOUNT}:assumed-role/any-role/i-0a1b2c3d4e5f60001`,
      true,
    ],
    [
      "EC2: another instance's session",
      ec2,
      `arn:aws:sts::${ACCOUNT}:assumed-role/any-role/i-0a1b2c3d4e5f60002`,
      false,
    ],
    [
      "EC2: session name that only starts with the instance id",
      ec2,
      `arn:aws:sts::${ACCOUNT}:assumed-role/r/i-0a1b2c3d4e5f600011`,
      false,
    ],
    [
      "EC2: the right session in another account",
      ec2,
      `arn:aws:sts::999999999999:assumed-role/r/i-0a1b2c3d4e5f60001`,
      false,
    ],
    ["EC2: an IAM user", ec2, `arn:aws:iam::${ACCOUNT}:user/i-0a1b2c3d4e5f60001`, false],
    [
      "role: any session of the role (path dropped)",
      onpremRole,
      `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node-office-1/x`,
      true,
    ],
    ["role: another role", onpremRole, `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node-office-2/x`, false],
    [
      "role: same name in another account",
      onpremRole,
      `arn:aws:sts::999999999999:assumed-role/baton-node-office-1/x`,
      false,
    ],
    ["role: another partition", onpremRole, `arn:aws-cn:sts::${ACCOUNT}:assumed-role/baton-node-office-1/x`, false],
    ["user: exactly the user", onpremUser, `arn:aws:iam::${ACCOUNT}:user/office-1`, true],
    ["user: another user", onpremUser, `arn:aws:iam::${ACCOUNT}:user/office-2`, false],
    ["no identity", ec2, undefined, false],
  ] as const)("%s -> %s", (_case, node, caller, expected) => {
    // Act
    const result = callerIsNode(node, caller, ACCOUNT);
    // Assess
    expect(result).toBe(expected);
  });
});
