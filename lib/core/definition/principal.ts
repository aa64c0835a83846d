/**
 * The IAM principal a node's `principal` names, read from its ARN. IAM tells roles (and users) of an
 * account apart by name alone, without case and without path: `role/a/office` and `role/office` cannot
 * both exist, and an assumed-role session's ARN (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`)
 * does not show the path at all.
 */

export interface Principal {
  readonly partition: string;
  readonly account: string;
  readonly type: "role" | "user";
  /** The name without the path, as written. */
  readonly name: string;
}

const PRINCIPAL_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)\/(?:[^/]+\/)*([^/]+)$/;

/** The principal an IAM role or user ARN names, or undefined for anything else. */
export function parsePrincipal(arn: string): Principal | undefined {
  const match = PRINCIPAL_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition = "", account = "", type, name = ""] = match;
  return { partition, account, type: type === "role" ? "role" : "user", name };
}

/**
 * One key per IAM principal: two ARNs with the same key name the same role or user, whatever their
 * paths, or the case of the name.
 */
export function principalKey(principal: Principal): string {
  return `${principal.partition}:${principal.account}:${principal.type}/${principal.name.toLowerCase()}`;
}
