import { describe, expect, it } from "vitest";
import type { NodeDefinition } from "../../../lib/core/definition/types.js";
import { callerIsNode } from "../../../lib/core/heartbeat/identity.js";

const ACCOUNT = "123456789012";
const INSTANCE = "i-0a1b2c3d4e5f60001";
const ec2: NodeDefinition = {
  id: "db-a",
  kind: "ec2",
  instanceId: INSTANCE,
  availabilityZone: "us-east-1a",
  principal: `arn:aws:iam::${ACCOUNT}:role/nodes/baton-node`,
};
/** The same node with the role's unique id pinned (`principalId`). */
const ec2Pinned: NodeDefinition = { ...ec2, principalId: "AROA3XFRBF23EXAMPLE1" };
const onpremRole: NodeDefinition = {
  id: "office-1",
  kind: "onprem",
  principal: `arn:aws:iam::${ACCOUNT}:role/nodes/baton-node-office-1`,
  address: "203.0.113.10",
};
const onpremRolePinned: NodeDefinition = { ...onpremRole, principalId: "AROA3XFRBF23EXAMPLE2" };
const onpremUser: NodeDefinition = { ...onpremRole, principal: `arn:aws:iam::${ACCOUNT}:user/office-1` };
const onpremUserPinned: NodeDefinition = { ...onpremUser, principalId: "AIDA3XFRBF23EXAMPLE3" };

const session = (role: string, name: string, account = ACCOUNT, partition = "aws") =>
  `arn:${partition}:sts::${account}:assumed-role/${role}/${name}`;

describe("callerIsNode", () => {
  it.each([
    [
      "EC2: the instance's session of its role (the path is not in a session's ARN)",
      ec2,
      session("baton-node", INSTANCE),
    ],
    [
      "EC2 pinned: the session of the role with that unique id",
      ec2Pinned,
      session("baton-node", INSTANCE),
      `AROA3XFRBF23EXAMPLE1:${INSTANCE}`,
    ],
    ["role: any session of the role (path dropped)", onpremRole, session("baton-node-office-1", "x")],
    // IAM allows one role of a name per account whatever the case, so the case written does not matter.
    ["EC2: the role's name as IAM shows it, in another case than written", ec2, session("Baton-Node", INSTANCE)],
    [
      "role pinned: any session of the role with that unique id",
      onpremRolePinned,
      session("baton-node-office-1", "x"),
      "AROA3XFRBF23EXAMPLE2:x",
    ],
    ["user: exactly the user", onpremUser, `arn:aws:iam::${ACCOUNT}:user/office-1`],
    [
      "user: the user under a path the definition left out (one user of a name per account)",
      onpremUser,
      `arn:aws:iam::${ACCOUNT}:user/site/office-1`,
    ],
    [
      "user pinned: exactly the user with that unique id",
      onpremUserPinned,
      `arn:aws:iam::${ACCOUNT}:user/office-1`,
      "AIDA3XFRBF23EXAMPLE3",
    ],
  ] as const)("accepts %s", (_case, node, caller, userId?: string) => {
    // Act
    const result = callerIsNode(node, { arn: caller, userId }, ACCOUNT);
    // Assess
    expect(result).toBe(true);
  });

  it.each([
    // The attack of issue 9: any role that may invoke the API, with the node's instance id as session name.
    ["EC2: a session of another role named after the instance", ec2, session("some-other-role", INSTANCE)],
    ["EC2: a session of the right role with another instance id", ec2, session("baton-node", "i-0a1b2c3d4e5f60002")],
    ["EC2: a session name that only starts with the instance id", ec2, session("baton-node", `${INSTANCE}1`)],
    ["EC2: the right role name and session in another account", ec2, session("baton-node", INSTANCE, "999999999999")],
    [
      "EC2: the right role name and session in another partition",
      ec2,
      session("baton-node", INSTANCE, ACCOUNT, "aws-cn"),
    ],
    ["EC2: an IAM user named after the instance", ec2, `arn:aws:iam::${ACCOUNT}:user/${INSTANCE}`],
    ["EC2: a role whose name ends with the role's name", ec2, session("x-baton-node", INSTANCE)],
    // A role deleted and recreated under the same name has a new unique id.
    [
      "EC2 pinned: a recreated role of the same name",
      ec2Pinned,
      session("baton-node", INSTANCE),
      `AROA3XFRBF23NEWROLE1:${INSTANCE}`,
    ],
    [
      "EC2 pinned: the right unique id but another session",
      ec2Pinned,
      session("baton-node", INSTANCE),
      "AROA3XFRBF23EXAMPLE1:i-0a1b2c3d4e5f60002",
    ],
    ["EC2 pinned: no unique id in the request", ec2Pinned, session("baton-node", INSTANCE), undefined],
    ["role: another role", onpremRole, session("baton-node-office-2", "x")],
    ["role: same name in another account", onpremRole, session("baton-node-office-1", "x", "999999999999")],
    ["role: another partition", onpremRole, session("baton-node-office-1", "x", ACCOUNT, "aws-cn")],
    [
      "role pinned: a recreated role of the same name",
      onpremRolePinned,
      session("baton-node-office-1", "x"),
      "AROA3XFRBF23NEWROLE2:x",
    ],
    ["user: another user", onpremUser, `arn:aws:iam::${ACCOUNT}:user/office-2`],
    ["user: the user's name in another account", onpremUser, `arn:aws:iam::999999999999:user/office-1`],
    ["user: a role's session named after the user", onpremUser, session("office-1", "office-1")],
    [
      "user pinned: a recreated user of the same name",
      onpremUserPinned,
      `arn:aws:iam::${ACCOUNT}:user/office-1`,
      "AIDA3XFRBF23NEWUSER3",
    ],
    ["no identity", ec2, undefined],
    ["an empty identity", onpremRole, ""],
  ] as const)("refuses %s", (_case, node, caller, userId?: string) => {
    // Act
    const result = callerIsNode(node, { arn: caller, userId }, ACCOUNT);
    // Assess
    expect(result).toBe(false);
  });
});
