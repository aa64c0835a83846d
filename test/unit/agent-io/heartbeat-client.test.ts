import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  signingService,
  createHeartbeatClient,
  HeartbeatClientConfigError,
  type HeartbeatClientOptions,
} from "../../../lib/agent/heartbeat-client.js";
import { type HeartbeatTransport, HeartbeatTransportError } from "../../../lib/agent/edges.js";
import { answerJson, closedPort, startConnectProxy, startRecordingServer } from "./support/loopback.js";

const CREDENTIALS = () => Promise.resolve({ accessKeyId: "AKIDAGENTTEST", secretAccessKey: "agent-test-secret" });
const BODY = { nodeId: "db-a", bootId: "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10", seq: 1, resources: {} };

const closers: (() => unknown)[] = [];

function client(options: Partial<HeartbeatClientOptions> & { url: string }): HeartbeatTransport {
  const transport = createHeartbeatClient({
    region: "us-east-1",
    timeoutMs: 5_000,
    credentials: CREDENTIALS,
    ...options,
  });
  closers.push(() => transport.close());
  return transport;
}

async function server(...args: Parameters<typeof startRecordingServer>) {
  const started = await startRecordingServer(...args);
  closers.push(started.close);
  return started;
}

async function proxy(...args: Parameters<typeof startConnectProxy>) {
  const started = await startConnectProxy(...args);
  closers.push(started.close);
  return started;
}

async function failure(promise: Promise<unknown>): Promise<HeartbeatTransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HeartbeatTransportError);
  return error as HeartbeatTransportError;
}

beforeEach(() => {
  // The machine's own proxy settings must not leak into these tests.
  for (const name of [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
  ]) {
    vi.stubEnv(name, "");
  }
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  vi.unstubAllEnvs();
});

describe("createHeartbeatClient", () => {
  it("POSTs the body as JSON to <url>/v1/heartbeat, signed with SigV4 for execute-api in the region", async () => {
    // Prepare
    const api = await server();
    // Act
    const reply = await client({ url: `${api.url}/prod/`, region: "eu-west-3" }).send(BODY);
    // Assess
    expect(reply).toEqual({ status: 200, body: { ok: true } });
    const [request] = api.requests;
    expect(request).toMatchObject({ method: "POST", url: "/prod/v1/heartbeat", body: JSON.stringify(BODY) });
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    const date = request?.headers["x-amz-date"]?.toString().slice(0, 8);
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDAGENTTEST/${date}/eu-west-3/execute-api/aws4_request, ` +
          "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$",
      ),
    );
  });

  it.each([
    ["the stack output HeartbeatUrl", "/v1/heartbeat", "/v1/heartbeat"],
    ["HeartbeatUrl with a trailing slash", "/v1/heartbeat/", "/v1/heartbeat"],
    ["a bare API URL", "", "/v1/heartbeat"],
    ["a bare API URL with a slash", "/", "/v1/heartbeat"],
    ["a stage URL", "/prod", "/prod/v1/heartbeat"],
  ])("posts to the heartbeat route given %s", async (_case, path, expected) => {
    // Prepare
    const api = await server();
    // Act
    await client({ url: `${api.url}${path}` }).send(BODY);
    // Assess
    expect(api.requests.map((r) => r.url)).toEqual([expected]);
  });

  it("signs the session token of temporary credentials", async () => {
    // Prepare
    const api = await server();
    const credentials = async () => ({ ...(await CREDENTIALS()), sessionToken: "session-token" });
    // Act
    await client({ url: api.url, credentials }).send(BODY);
    // Assess
    expect(api.requests[0]?.headers["x-amz-security-token"]).toBe("session-token");
    expect(api.requests[0]?.headers.authorization).toContain(";x-amz-security-token,");
  });

  it("keeps one connection alive across heartbeats", async () => {
    // Prepare
    const api = await server();
    const transport = client({ url: api.url });
    // Act
    for (let seq = 1; seq <= 3; seq++) await transport.send({ ...BODY, seq });
    // Assess
    expect(api.requests.map((r) => r.connection)).toEqual([1, 1, 1]);
    expect(api.connections()).toBe(1);
  });

  it("sends once more on a new connection when the server had closed the kept-alive one", async () => {
    // Prepare
    const api = await server((request, response) => {
      // The second request on the first connection finds it closed, as after the server's idle timeout.
      if (request.connection === 1 && api.requests.length === 2) response.socket?.destroy();
      else answerJson(200, { ok: true })(request, response);
    });
    const transport = client({ url: api.url });
    await transport.send(BODY);
    // Act
    const reply = await transport.send({ ...BODY, seq: 2 });
    // Assess
    expect(reply.status).toBe(200);
    expect(api.requests.map((r) => [r.connection, JSON.parse(r.body) as unknown])).toEqual([
      [1, BODY],
      [1, { ...BODY, seq: 2 }],
      [2, { ...BODY, seq: 2 }],
    ]);
  });

  it("returns any other status as data, with the JSON body or none", async () => {
    // Prepare
    const conflict = await server(answerJson(409, { error: { code: "StaleHeartbeat" } }));
    const gateway = await server((_request, response) => response.writeHead(502).end("Bad gateway"));
    // Act
    const stale = await client({ url: conflict.url }).send(BODY);
    const bad = await client({ url: gateway.url }).send(BODY);
    // Assess
    expect(stale).toEqual({ status: 409, body: { error: { code: "StaleHeartbeat" } } });
    expect(bad).toEqual({ status: 502, body: undefined });
  });

  it("fails with HeartbeatTransportError when no answer comes within the timeout", async () => {
    // Prepare
    const silent = await server(() => undefined);
    // Act
    const error = await failure(client({ url: silent.url, timeoutMs: 200 }).send(BODY));
    // Assess
    expect(error.message).toBe(`heartbeat to 127.0.0.1:${silent.port}/v1/heartbeat: no answer within 200 ms`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("sends again on a new connection after a timeout", async () => {
    // Prepare
    let answer = false;
    const api = await server((_request, response) => {
      if (answer) answerJson(200, { ok: true })(_request, response);
    });
    // The second send must be answered within the same timeout: 1 s leaves a loaded machine room.
    const transport = client({ url: api.url, timeoutMs: 1_000 });
    await failure(transport.send(BODY));
    answer = true;
    // Act
    const reply = await transport.send(BODY);
    // Assess
    expect(reply.status).toBe(200);
    expect(api.connections()).toBe(2);
  });

  it("says the connection was refused", async () => {
    // Prepare
    const port = await closedPort();
    // Act
    const error = await failure(client({ url: `http://127.0.0.1:${port}` }).send(BODY));
    // Assess
    expect(error.message).toMatch(
      new RegExp(`^heartbeat to 127.0.0.1:${port}/v1/heartbeat: connection refused \\(connect ECONNREFUSED`),
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  it("says where it looked when there are no credentials, and sends nothing", async () => {
    // Prepare
    const api = await server();
    const credentials = () => Promise.reject(new Error("Could not load credentials from any providers"));
    // Act
    const error = await failure(client({ url: api.url, credentials }).send(BODY));
    // Assess
    expect(error.message).toContain("no AWS credentials to sign it (Could not load credentials from any providers)");
    expect(error.message).toContain("credential_process for IAM Roles Anywhere");
    expect(error.message).toContain("IMDSv2");
    expect(api.requests).toEqual([]);
  });

  it("counts slow credentials against the timeout", async () => {
    // Prepare
    const api = await server();
    const credentials = () => new Promise<never>(() => undefined);
    // Act
    const error = await failure(client({ url: api.url, credentials, timeoutMs: 200 }).send(BODY));
    // Assess
    expect(error.message).toContain("no answer within 200 ms");
  });

  it("tunnels through the configured proxy with CONNECT, keeping the one tunnel alive", async () => {
    // Prepare
    const api = await server();
    const forward = await proxy();
    const transport = client({ url: api.url, proxy: forward.url });
    // Act
    const replies = [await transport.send(BODY), await transport.send({ ...BODY, seq: 2 })];
    // Assess
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(forward.targets).toEqual([`127.0.0.1:${api.port}`]);
    expect(api.requests).toHaveLength(2);
  });

  it("uses HTTPS_PROXY for an https URL, so that the proxy resolves the API's name", async () => {
    // Prepare
    const forward = await proxy(() => false);
    vi.stubEnv("HTTPS_PROXY", forward.url);
    // Act
    const error = await failure(client({ url: "https://abc123.execute-api.us-east-1.amazonaws.com" }).send(BODY));
    // Assess
    expect(forward.targets).toEqual(["abc123.execute-api.us-east-1.amazonaws.com:443"]);
    expect(error.message).toBe(
      `heartbeat to abc123.execute-api.us-east-1.amazonaws.com/v1/heartbeat (through the proxy ${forward.url}): ` +
        "the proxy refused the tunnel (HTTP 502 Bad Gateway)",
    );
  });

  it("goes direct to a host NO_PROXY lists", async () => {
    // Prepare
    const api = await server();
    const forward = await proxy();
    vi.stubEnv("http_proxy", forward.url);
    vi.stubEnv("no_proxy", "localhost,127.0.0.1");
    // Act
    const reply = await client({ url: api.url }).send(BODY);
    // Assess
    expect(reply.status).toBe(200);
    expect(forward.targets).toEqual([]);
  });

  it("never shows the proxy's password", async () => {
    // Prepare
    const port = await closedPort();
    // Act
    const error = await failure(
      client({
        url: "https://abc123.execute-api.us-east-1.amazonaws.com",
        proxy: `http://u:secret@127.0.0.1:${port}`,
      }).send(BODY),
    );
    // Assess
    expect(error.message).toContain(`through the proxy http://127.0.0.1:${port}`);
    expect(error.message).not.toContain("secret");
  });

  it.each([
    ["the proxy option", { proxy: "http://u:s3cret@proxy example:3128" }, {}],
    ["HTTPS_PROXY", {}, { HTTPS_PROXY: "http://u:s3cret@proxy example:3128" }],
    ["a heartbeat url with a password", { url: "https://u:s3cret@exa mple.com" }, {}],
  ])("never shows a password in the error for a bad URL in %s", (_what, options, env) => {
    // Prepare
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    // Act
    const create = () =>
      createHeartbeatClient({
        url: "https://abc123.execute-api.us-east-1.amazonaws.com",
        region: "us-east-1",
        timeoutMs: 1_000,
        credentials: CREDENTIALS,
        ...options,
      });
    // Assess
    expect(create).toThrow(HeartbeatClientConfigError);
    expect(create).toThrow("u:***@");
    expect(create).not.toThrow("s3cret");
    // Nor anything the error carries (Node's URL error keeps the whole input).
    const error = (() => {
      try {
        create();
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error ?? {}))).not.toContain("s3cret");
    expect(JSON.stringify((error as Error).cause ?? null)).not.toContain("s3cret");
  });

  it.each([
    ["not a url", "is not a URL"],
    ["ftp://example.com", "must start with https://"],
  ])("refuses the url %j when created", (url, message) => {
    // Act
    const create = () =>
      createHeartbeatClient({ url, region: "us-east-1", timeoutMs: 1_000, credentials: CREDENTIALS });
    // Assess
    expect(create).toThrow(HeartbeatClientConfigError);
    expect(create).toThrow(message);
  });
});

describe("the service a heartbeat is signed for", () => {
  it("is lambda for a function URL and execute-api for an HTTP API or a custom domain", () => {
    // Act
    const services = [
      "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/v1/heartbeat",
      "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1/heartbeat",
      "https://heartbeat.example.com/v1/heartbeat",
      "https://lambda-url.us-east-1.on.aws.example.com/v1/heartbeat",
    ].map((url) => signingService(new URL(url)));
    // Assess
    expect(services).toEqual(["lambda", "execute-api", "execute-api", "execute-api"]);
  });
});
