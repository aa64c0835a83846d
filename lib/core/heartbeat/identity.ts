import type { NodeDefinition } from "../definition/types.js";
import { parsePrincipal } from "../definition/principal.js";

/**
 * Who signed a request, as API Gateway's IAM authorizer proved it with the SigV4 signature
 * (`requestContext.authorizer.iam`); the body's `nodeId` is only a claim.
 */
export interface Caller {
  /** `userArn`: `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` for a role's session, the ARN of a user. */
  readonly arn: string | undefined;
  /** `userId`: `AROA…:SESSION` for a role's session, `AIDA…` for a user: the principal's unique id. */
  readonly userId: string | undefined;
}

const SESSION_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;

/**
 * Why the caller is not the node the definition describes, or undefined when it is. Decided from the
 * request and the definition alone (no IAM or STS call):
 *
 * - EC2 node: the session of exactly its `principal` role (partition, account and role name, which IAM
 *   compares without case; a session's ARN does not show the role's path) in this account, whose session name is the node's
 *   instance id, which is how EC2 names instance-profile sessions. Anyone who may assume some role can
 *   pick `i-…` as a session name, so the session name alone proves nothing.
 * - On-premise node with a role principal: any session of exactly that role.
 * - On-premise node with a user principal: exactly that user (partition, account and name; IAM allows one
 *   user of a name per account, whatever its path).
 * - With `principalId`, the unique id must match too (`userId` is `AROA…:SESSION` or `AIDA…`): a role
 *   or user deleted and recreated under the same name has a new unique id and is not trusted.
 *
 * The reason is for the log only: it names the expected identity, which a refusal's body must not.
 */
export function whyCallerIsNotNode(node: NodeDefinition, caller: Caller, ownAccountId: string): string | undefined {
  const arn = caller.arn ?? "";
  if (arn === "") return "the request carries no IAM identity";
  const principal = parsePrincipal(node.principal);
  if (principal === undefined) return `the node's principal ${node.principal} is not an IAM role or user ARN`;
  let session: string | undefined;
  if (principal.type === "user") {
    // A user's ARN shows its path, but IAM allows one user of a name per account whatever the path.
    const user = parsePrincipal(arn);
    if (
      user?.type !== "user" ||
      user.partition !== principal.partition ||
      user.account !== principal.account ||
      !sameName(user.name, principal.name)
    ) {
      return "the caller is not the node's IAM user";
    }
  } else {
    const match = SESSION_ARN.exec(arn);
    if (match === null) return "the caller is not a session of an IAM role";
    const [, partition, account, role, name] = match;
    if (partition !== principal.partition || account !== principal.account || !sameName(role ?? "", principal.name)) {
      return "the caller is a session of another role";
    }
    if (node.kind === "ec2") {
      if (account !== ownAccountId) return "the caller's account is not the cluster's account";
      if (name !== node.instanceId) return "the session name is not the node's instance id";
    }
    session = name;
  }
  if (node.principalId !== undefined) {
    const expected = session === undefined ? node.principalId : `${node.principalId}:${session}`;
    if (caller.userId !== expected) return "the caller's unique id is not the node's principalId";
  }
  return undefined;
}

/** IAM names are unique per account without regard to case ("PRODROLE" and "prodrole" cannot both exist). */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether the IAM identity that signed the request is the one the definition gives the node. */
export function callerIsNode(node: NodeDefinition, caller: Caller, ownAccountId: string): boolean {
  return whyCallerIsNotNode(node, caller, ownAccountId) === undefined;
}

/** The identity a node must sign with, for the log (never for the caller: it names the principal). */
export function expectedIdentity(node: NodeDefinition): string {
  const pinned = node.principalId === undefined ? "" : ` (unique id ${node.principalId})`;
  return node.kind === "ec2"
    ? `the session ${node.instanceId} of ${node.principal}${pinned}`
    : `credentials of ${node.principal}${pinned}`;
}
