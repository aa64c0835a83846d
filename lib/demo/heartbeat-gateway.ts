import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { HeartbeatHandler } from "../handlers/heartbeat.js";
import { ACCOUNT, LAMBDA_CONTEXT } from "./account.js";
import { accessKeyOf, authorize, type GatewayIdentity, header, MESSAGES, type Verdict } from "./iam-authorization.js";

/**
 * A loopback stand-in for the deployed heartbeat API: API Gateway's HTTP API with IAM authorization
 * in front of the REAL heartbeat handler, so that an agent (or anything speaking docs/protocol.md)
 * can be tested end to end over HTTP without AWS.
 *
 * What it does for each request, as API Gateway does:
 * 1. route: only `POST /v1/heartbeat` (else 404 `{"message":"Not Found"}`);
 * 2. IAM authorization (iam-authorization.ts): verifies the SigV4 signature (service `execute-api`, the
 *    gateway's region) against `identities`, a map access key id -> secret (and optional session token) and the IAM
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
