import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { HeartbeatHandler } from "../handlers/heartbeat.js";
import { ACCOUNT, LAMBDA_CONTEXT } from "./account.js";

/**
 * A loopback stand-in for the deployed heartbeat API: API Gateway's HTTP API with IAM authorization
 * in front of the REAL heartbeat handler, so that an agent (or anything speaking docs/protocol.md)
 * can be tested end to end over HTTP without AWS.
 *
 * What it does for each request, as API Gateway does:
 * 1. route: only `POST /v1/heartbeat` (else 404 `{"message":"Not Found"}`);
 * 2. IAM authorization: verifies the SigV4 signature (service `execute-api`, the gateway's region)
 *    against `identities`, a map access key id -> secret (and optional session token) and the IAM
 *    identity it stands for. It recomputes the signature with @smithy/signature-v4 over the headers
 *    the request says it signed and compares the Authorization header exactly; it checks the scope,
 *    the body's hash when `x-amz-content-sha256` is sent, and the 5-minute age limit. Failures get
 *    403 with API Gateway's messages (`{"message":"Forbidden"}` when unsigned, the signature
 *    mismatch message when the secret is wrong, the invalid-token message for an unknown key);
 * 3. builds the HTTP API payload 2.0 event with `requestContext.authorizer.iam.userArn` (and
 *    `accessKey`) of the proven identity, calls the handler, writes its answer (500
 *    `{"message":"Internal Server Error"}` when it throws).
 *
 * Test controls, per access key (each node signs with its own key):
 * - `block(key, "blackhole")`: its requests are read and never answered (packets dropped: the
 *   client times out); `block(key, "reset")`: its connection is reset. `unblock(key)` ends it. A
 *   block acts on requests, as the key is only known once the headers are read: the TCP connection
 *   itself is still accepted.
 * - `injectAnswer(key, answer, times)`: the next `times` correctly signed requests of that key get
 *   `answer` instead of the handler's (which is not called): for hostile or broken answers.
 * - `seen`: every request, in order, with its key and the status given (`undefined` when blocked).
 */
export interface GatewayIdentity {
  readonly secretAccessKey: string;
  /** The IAM identity API Gateway reports for this key: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly userArn: string;
  /** When set, requests must carry this `x-amz-security-token`. */
  readonly sessionToken?: string;
}

export interface HeartbeatGatewayOptions {
  readonly handler: HeartbeatHandler;
  /** Access key id -> the identity it proves. */
  readonly identities: Readonly<Record<string, GatewayIdentity>>;
  /** @default "us-east-1" */
  readonly region?: string;
  /** The Lambda context given to the handler; its function ARN names the account. @default LAMBDA_CONTEXT */
  readonly context?: { readonly invokedFunctionArn: string };
}

export type BlockMode = "blackhole" | "reset";

export interface CannedAnswer {
  readonly status: number;
  /** A string is sent as is; anything else as JSON. Nothing when undefined. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GatewayRequest {
  readonly accessKeyId: string | undefined;
  /** The status answered; undefined when the request was blocked. */
  readonly status: number | undefined;
}

export interface HeartbeatGateway {
  /** The base URL, as the stack output HeartbeatUrl: the agent posts to `${url}/v1/heartbeat`. */
  readonly url: string;
  readonly seen: readonly GatewayRequest[];
  block(accessKeyId: string, mode?: BlockMode): void;
  unblock(accessKeyId: string): void;
  injectAnswer(accessKeyId: string, answer: CannedAnswer, times?: number): void;
  close(): Promise<void>;
}

const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

const MESSAGES = {
  forbidden: "Forbidden",
  notFound: "Not Found",
  invalidToken: "The security token included in the request is invalid.",
  mismatch:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  contentHash: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  internal: "Internal Server Error",
} as const;

export async function startHeartbeatGateway(options: HeartbeatGatewayOptions): Promise<HeartbeatGateway> {
  const region = options.region ?? "us-east-1";
  const context = options.context ?? LAMBDA_CONTEXT;
  const blocked = new Map<string, BlockMode>();
  const canned = new Map<string, { answer: CannedAnswer; remaining: number }>();
  const seen: GatewayRequest[] = [];
  const held = new Set<ServerResponse>();

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? "/", "http://gateway");
    const accessKeyId = accessKeyOf(incoming.headers.authorization);
    const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
      seen.push({ accessKeyId, status });
      outgoing.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
    };
    const refuse = (status: number, message: string) => answer(status, JSON.stringify({ message }));

    const mode = accessKeyId === undefined ? undefined : blocked.get(accessKeyId);
    if (mode !== undefined) {
      seen.push({ accessKeyId, status: undefined });
      if (mode === "reset") incoming.socket.destroy();
      else held.add(outgoing);
      return;
    }
    if (incoming.method !== "POST" || url.pathname !== "/v1/heartbeat") return refuse(404, MESSAGES.notFound);
    const verdict = await authorize(incoming, url, body, options.identities, region);
    if (!verdict.ok) return refuse(403, verdict.message);

    const injected = canned.get(verdict.accessKeyId);
    if (injected && injected.remaining > 0) {
      injected.remaining -= 1;
      const { status, body: cannedBody, headers } = injected.answer;
      const text =
        cannedBody === undefined ? "" : typeof cannedBody === "string" ? cannedBody : JSON.stringify(cannedBody);
      return answer(status, text, { ...headers });
    }

    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = await options.handler(eventOf(incoming, url, body, verdict), context);
    } catch {
      return refuse(500, MESSAGES.internal);
    }
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? "");
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    seen.push({ accessKeyId, status: result.statusCode ?? 200 });
    outgoing.writeHead(result.statusCode ?? 200, { "content-type": "application/json", ...headers }).end(payload);
  };

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => {
      if (!outgoing.headersSent) outgoing.writeHead(500).end(JSON.stringify({ message: MESSAGES.internal }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    block: (accessKeyId, mode = "blackhole") => void blocked.set(accessKeyId, mode),
    unblock: (accessKeyId) => void blocked.delete(accessKeyId),
    injectAnswer: (accessKeyId, answer, times = 1) => void canned.set(accessKeyId, { answer, remaining: times }),
    close: () =>
      new Promise((resolve) => {
        for (const response of held) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly identity: GatewayIdentity }
  | { readonly ok: false; readonly message: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

/** API Gateway's IAM authorization, for one request. */
async function authorize(
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

/** The HTTP API payload 2.0 event API Gateway gives the function, with the IAM authorizer's context. */
function eventOf(
  incoming: IncomingMessage,
  url: URL,
  body: Buffer,
  verdict: Extract<Verdict, { ok: true }>,
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const contentType = header(incoming, "content-type") ?? "";
  const text = /^(?:application\/json|text\/)/i.test(contentType);
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "POST /v1/heartbeat",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: Object.fromEntries(
      Object.entries(incoming.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
    ),
    body: body.length === 0 ? undefined : text ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: ACCOUNT,
      apiId: "gateway",
      domainName: header(incoming, "host") ?? "127.0.0.1",
      domainPrefix: "gateway",
      http: {
        method: incoming.method ?? "POST",
        path: url.pathname,
        protocol: `HTTP/${incoming.httpVersion}`,
        sourceIp: incoming.socket.remoteAddress ?? "127.0.0.1",
        userAgent: header(incoming, "user-agent") ?? "",
      },
      requestId: randomUUID(),
      routeKey: "POST /v1/heartbeat",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        iam: {
          accessKey: verdict.accessKeyId,
          accountId: ACCOUNT,
          callerId: verdict.identity.userArn.split("/").slice(-2).join(":"),
          cognitoIdentity: null,
          principalOrgId: "",
          userArn: verdict.identity.userArn,
          userId: verdict.identity.userArn.split("/").slice(-2).join(":"),
        },
      },
    },
  };
}

function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];
}

/** `20261122T030000Z` as a Date. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

/** `identities` for the gateway from keys such as EXAMPLE_NODE_KEYS. */
export function identitiesOf(
  keys: Readonly<Record<string, { accessKeyId: string; secretAccessKey: string; userArn: string }>>,
): Record<string, GatewayIdentity> {
  return Object.fromEntries(
    Object.values(keys).map((k) => [k.accessKeyId, { secretAccessKey: k.secretAccessKey, userArn: k.userArn }]),
  );
}
