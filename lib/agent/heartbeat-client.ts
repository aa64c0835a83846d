// Over 300 lines: one HTTP transport: SigV4 signing, proxies, timeouts and the explanations of its failures (redacted),
// which all need the same request context.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { HttpsProxyAgent } from "https-proxy-agent";
import { getProxyForUrl } from "proxy-from-env";
import { ownValue } from "../core/dictionary.js";
import { redactUrl, redactUrls } from "../core/redact.js";
import { type HeartbeatReply, type HeartbeatTransport, HeartbeatTransportError } from "./edges.js";

export interface HeartbeatClientOptions {
  /**
   * The stack output `HeartbeatUrl` (`https://…/v1/heartbeat`), or the API's base URL, to which
   * `/v1/heartbeat` is appended; a trailing '/' does not matter. `http:` is for tests on loopback.
   */
  readonly url: string;
  /** The cluster's region: the SigV4 scope is `<region>/execute-api`. */
  readonly region: string;
  /** An HTTP proxy (`http://host:port`) for the CONNECT tunnel; else HTTPS_PROXY / NO_PROXY decide. */
  readonly proxy?: string;
  /** The whole heartbeat (credentials, connect, TLS, request, answer) must end within this. */
  readonly timeoutMs: number;
  /**
   * @default the SDK's standard chain: environment, shared config (credential_process, as IAM Roles
   * Anywhere uses), web identity, then EC2 instance metadata (IMDSv2); cached until near expiry.
   */
  readonly credentials?: AwsCredentialIdentityProvider;
}

/** The options cannot make a working client (checked when it is created, not at the first heartbeat). */
export class HeartbeatClientConfigError extends Error {
  override readonly name = "HeartbeatClientConfigError";
}

const HEARTBEAT_ROUTE = "/v1/heartbeat";

/** Largest answer read; the protocol's answers are a few KiB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The SigV4 service a heartbeat URL belongs to: `lambda` for a Lambda function URL (`<id>.lambda-url.<region>.on.aws`),
 * `execute-api` for an API Gateway HTTP API or any other host (a custom domain in front of one).
 */
export function signingService(url: URL): "lambda" | "execute-api" {
  return /\.lambda-url\.[a-z0-9-]+\.on\.aws$/i.test(url.hostname) ? "lambda" : "execute-api";
}

/**
 * The agent's heartbeat transport (docs/protocol.md): `POST <url>/v1/heartbeat`, JSON, SigV4-signed
 * for the URL's service (`signingService`), over ONE kept-alive connection (a heartbeat every 2 s should not pay a TLS
 * handshake each time), through a proxy when one is configured. Any HTTP status is an answer; only
 * "no answer" is a HeartbeatTransportError.
 *
 * @throws HeartbeatClientConfigError for a URL that is not http(s) or a proxy that is not a URL
 */
export function createHeartbeatClient(options: HeartbeatClientOptions): HeartbeatTransport {
  const endpoint = heartbeatEndpoint(options.url);
  const proxy = proxyFor(endpoint, options.proxy);
  const agent = agentFor(endpoint, proxy);
  const signer = new SignatureV4({
    service: signingService(endpoint),
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Hash.bind(null, "sha256"),
  });
  const target = `${endpoint.host}${endpoint.pathname}${proxy ? ` (through the proxy ${redacted(proxy)})` : ""}`;

  return {
    async send(body) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      try {
        const payload = JSON.stringify(body);
        const signed = await withAbort(sign(signer, endpoint, payload), controller.signal);
        return await post(endpoint, agent, signed, payload, controller.signal);
      } catch (error) {
        throw explain(error, target, controller.signal.aborted ? options.timeoutMs : undefined);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      agent.destroy();
    },
  };
}

function heartbeatEndpoint(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Without the parser's error as cause: it holds the whole input, password included.
    throw new HeartbeatClientConfigError(
      `heartbeat url "${redactUrl(url)}" is not a URL; use the stack output HeartbeatUrl`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new HeartbeatClientConfigError(`heartbeat url "${redactUrl(url)}" must start with https://`);
  }
  // The stack output HeartbeatUrl names the route already; a bare API URL gets it appended.
  const base = parsed.pathname.replace(/\/+$/, "");
  parsed.pathname = base.endsWith(HEARTBEAT_ROUTE) ? base : `${base}${HEARTBEAT_ROUTE}`;
  parsed.search = "";
  parsed.hash = "";
  return parsed;
}

/**
 * The proxy: the `proxy` option, else the one HTTPS_PROXY (HTTP_PROXY for an http: URL) names unless
 * NO_PROXY lists the host. Node 20's http client reads neither variable by itself.
 */
function proxyFor(endpoint: URL, proxy: string | undefined): URL | undefined {
  const proxyUrl = proxy ?? getProxyForUrl(endpoint.href);
  if (!proxyUrl) return undefined;
  try {
    return new URL(proxyUrl);
  } catch {
    // Without the parser's error as cause: it holds the whole input, password included.
    throw new HeartbeatClientConfigError(
      `proxy "${redactUrl(proxyUrl)}" is not a URL; write it as http://proxy.example:3128 (in the configuration or HTTPS_PROXY)`,
    );
  }
}

/**
 * One socket, kept alive. Through a proxy, https-proxy-agent opens a CONNECT tunnel, so TLS (and
 * the signature) stay end to end and the tunnel itself is kept alive.
 */
function agentFor(endpoint: URL, proxy: URL | undefined): HttpAgent {
  const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: "lifo" } as const;
  if (proxy) return new HttpsProxyAgent(proxy, agentOptions);
  return endpoint.protocol === "https:" ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
}

/** A proxy URL without its password, for messages. */
function redacted(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

interface SignedRequest {
  readonly headers: Record<string, string>;
}

async function sign(signer: SignatureV4, endpoint: URL, payload: string): Promise<SignedRequest> {
  const request = {
    method: "POST",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: endpoint.pathname,
    query: {},
    headers: {
      host: endpoint.host,
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
    },
    body: payload,
  };
  let signed;
  try {
    signed = await signer.sign(request);
  } catch (error) {
    throw new CredentialsUnavailable(error);
  }
  return { headers: signed.headers };
}

/** The credential chain found nothing usable (or failed): the message says where it looked. */
class CredentialsUnavailable extends Error {
  constructor(cause: unknown) {
    super("credentials", { cause });
  }
}

/** Sends the signed request; retries once when a kept-alive socket the server had closed is reused. */
async function post(
  endpoint: URL,
  agent: HttpAgent,
  signed: SignedRequest,
  payload: string,
  signal: AbortSignal,
): Promise<HeartbeatReply> {
  try {
    return await postOnce(endpoint, agent, signed, payload, signal);
  } catch (error) {
    if (!(error instanceof StaleSocket)) throw error;
    return await postOnce(endpoint, agent, signed, payload, signal);
  }
}

interface ProxyRefusal {
  readonly statusCode: number;
  readonly statusText: string;
}

/** The proxy answered the CONNECT with something other than 200. */
class ProxyRefused extends Error {
  constructor(readonly refusal: ProxyRefusal) {
    super(`HTTP ${refusal.statusCode} ${refusal.statusText}`);
  }
}

/** A reused kept-alive socket was closed by the server before it answered: safe to send again. */
class StaleSocket extends Error {}

function postOnce(
  endpoint: URL,
  agent: HttpAgent,
  signed: SignedRequest,
  payload: string,
  signal: AbortSignal,
): Promise<HeartbeatReply> {
  const send = endpoint.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let refusal: ProxyRefusal | undefined;
    const req = send(
      endpoint,
      { method: "POST", agent, signal, headers: { ...signed.headers, "user-agent": "baton-agent" } },
      (response) => {
        // https-proxy-agent hands a refused CONNECT's answer on as if the API had sent it.
        if (refusal) {
          response.resume();
          reject(new ProxyRefused(refusal));
          return;
        }
        readAnswer(response).then(resolve, reject);
      },
    );
    req.once("proxyConnect", (connect: ProxyRefusal) => {
      if (connect.statusCode !== 200) refusal = connect;
    });
    req.once("error", (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE");
      reject(stale ? new StaleSocket(error.message, { cause: error }) : error);
    });
    req.end(payload);
  });
}

function readAnswer(response: IncomingMessage): Promise<HeartbeatReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        response.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.once("error", reject);
    response.once("end", () => {
      resolve({ status: response.statusCode ?? 0, body: parseJson(Buffer.concat(chunks).toString("utf8")) });
    });
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Every failure as a HeartbeatTransportError that says what happened, to which host, and what to check;
 * a URL's password that a library's message quotes is hidden.
 */
function explain(error: unknown, target: string, timedOutAfterMs: number | undefined): HeartbeatTransportError {
  const explained = explainUnredacted(error, target, timedOutAfterMs);
  return new HeartbeatTransportError(redactUrls(explained.message), { cause: explained.cause });
}

function explainUnredacted(
  error: unknown,
  target: string,
  timedOutAfterMs: number | undefined,
): HeartbeatTransportError {
  const cause = error instanceof CredentialsUnavailable || error instanceof StaleSocket ? error.cause : error;
  if (timedOutAfterMs !== undefined) {
    return new HeartbeatTransportError(`heartbeat to ${target}: no answer within ${timedOutAfterMs} ms`, { cause });
  }
  if (error instanceof CredentialsUnavailable) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new HeartbeatTransportError(
      `heartbeat to ${target}: no AWS credentials to sign it (${detail}). Looked in the environment ` +
        "(AWS_ACCESS_KEY_ID), the shared config (AWS_PROFILE, credential_process for IAM Roles Anywhere) and " +
        "the EC2 instance metadata (instance profile, IMDSv2)",
      { cause },
    );
  }
  if (error instanceof ProxyRefused) {
    const hint = error.refusal.statusCode === 407 ? "; check the user and password in the proxy URL" : "";
    return new HeartbeatTransportError(
      `heartbeat to ${target}: the proxy refused the tunnel (${error.message})${hint}`,
      {
        cause,
      },
    );
  }
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  const what =
    (code === undefined ? undefined : ownValue(TRANSPORT_PROBLEMS, code)) ??
    (code?.startsWith("ERR_TLS") || /certificate/i.test(message) ? "TLS failed" : "failed");
  return new HeartbeatTransportError(`heartbeat to ${target}: ${what} (${message})`, { cause });
}

const TRANSPORT_PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "host name could not be resolved now (DNS)",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed while sending",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};
