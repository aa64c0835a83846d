import type { NodeDefinition } from "../definition/types.js";

/**
 * Whether the IAM identity that signed the request is the one the definition gives
 * the node. The identity comes from API Gateway's IAM authorizer (`userArn`), so it
 * was proven by a SigV4 signature; the body's `nodeId` is only a claim.
 *
 * - EC2 node: a session of any role in this account whose session name is the
 *   instance id, which is how EC2 names instance-profile sessions
 *   (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-0123...`).
 * - On-premise node with a role principal: any session of exactly that role
 *   (`arn:aws:iam::ACCOUNT:role/PATH/NAME` is seen as `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`).
 * - On-premise node with a user principal: exactly that user.
 */
export function callerIsNode(node: NodeDefinition, callerArn: string | undefined, ownAccountId: string): boolean {
  if (callerArn === undefined) return false;
  const caller = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(callerArn);
  if (node.kind === "ec2") {
    return caller !== null && caller[2] === ownAccountId && caller[4] === node.instanceId;
  }
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(node.principal);
  if (role) {
    return caller !== null && caller[1] === role[1] && caller[2] === role[2] && caller[3] === role[3];
  }
  return callerArn === node.principal;
}

/** Describes, without echoing secrets, which identity a node must sign with. */
export function expectedIdentity(node: NodeDefinition): string {
  return node.kind === "ec2"
    ? `the instance role session of ${node.instanceId} in this account`
    : `credentials of ${node.principal}`;
}
