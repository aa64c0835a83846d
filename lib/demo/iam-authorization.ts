/**
 * API Gateway's IAM authorization of one heartbeat request, for the loopback gateway (heartbeat-gateway.ts): the
 * SigV4 signature recomputed with @smithy/signature-v4 and compared exactly, the scope, the body's hash and the
 * 5-minute age limit checked, with API Gateway's refusal messages.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

export interface GatewayIdentity {
  readonly secretAccessKey: string;
  /** The IAM identity API Gateway reports for this key: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly userArn: string;
  /** When set, requests must carry this `x-amz-security-token`. */
  readonly sessionToken?: string;
}

const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

/** API Gateway's messages in its refusals (`{"message": …}`). */
export const MESSAGES = {
  forbidden: "Forbidden",
  notFound: "Not Found",
  invalidToken: "The security token included in the request is invalid.",
  mismatch:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  contentHash: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  internal: "Internal Server Error",
} as const;

export type Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly identity: GatewayIdentity }
  | { readonly ok: false; readonly message: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

/** API Gateway's IAM authorization, for one request. */
export async function authorize(
  incoming: IncomingMessage,
  url: URL,
  body: Buffer,
  identities: Readonly<Record<string, GatewayIdentity>>,
  region: string,
): Promise<Verdict> {
  const authorization = incoming.headers.authorization;
  const parts = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
  if (!authorization || !parts) return { ok: false, message: MESSAGES.forbidden };
  const [, accessKeyId = "", day, scopeRegion, service, signedList = ""] = parts;
  const identity = identities[accessKeyId];
  const token = header(incoming, "x-amz-security-token");
  if (!identity || (identity.sessionToken !== undefined && identity.sessionToken !== token)) {
    return { ok: false, message: MESSAGES.invalidToken };
  }
  if (scopeRegion !== region) return { ok: false, message: "Credential should be scoped to a valid region. " };
  if (service !== "execute-api") {
    return { ok: false, message: "Credential should be scoped to correct service: 'execute-api'. " };
  }
  const amzDate = header(incoming, "x-amz-date") ?? "";
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined || amzDate.slice(0, 8) !== day) return { ok: false, message: MESSAGES.forbidden };
  if (Math.abs(Date.now() - signedAt.getTime()) > SIGNATURE_MAX_AGE_MS) {
    return { ok: false, message: `Signature expired: ${amzDate} is now earlier than the 5 minutes allowed.` };
  }
  const signedNames = signedList.split(";");
  if (!signedNames.includes("host")) return { ok: false, message: MESSAGES.mismatch };
  const contentHash = header(incoming, "x-amz-content-sha256");
  if (contentHash !== undefined && contentHash !== createHash("sha256").update(body).digest("hex")) {
    return { ok: false, message: MESSAGES.contentHash };
  }

  const signer = new SignatureV4({
    service: "execute-api",
    region,
    credentials: { accessKeyId, secretAccessKey: identity.secretAccessKey, ...(token ? { sessionToken: token } : {}) },
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: false,
  });
  const headers = Object.fromEntries(signedNames.map((name) => [name, header(incoming, name) ?? ""]));
  const query: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) (query[key] ??= []).push(value);
  const expected = await signer.sign(
    {
      method: incoming.method ?? "",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate: signedAt },
  );
  if (expected.headers.authorization !== authorization) return { ok: false, message: MESSAGES.mismatch };
  return { ok: true, accessKeyId, identity };
}

export function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

export function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];
}

/** `20261122T030000Z` as a Date. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
}
