import { readFileSync } from "node:fs";
import { request } from "node:http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { parse } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHeartbeatClient } from "../../lib/agent/heartbeat-client.js";
import { HeartbeatTransportError, type HeartbeatTransport } from "../../lib/agent/edges.js";
import { itemKeys } from "../../lib/aws/table-layout.js";
import {
  EXAMPLE_NODE_KEYS,
  type HeartbeatGateway,
  heartbeatHandlerOver,
  identitiesOf,
  startHeartbeatGateway,
} from "../support/heartbeat-gateway.js";
import { heartbeatBody } from "../support/heartbeat-events.js";
import { createStateTable, useFreshMoto } from "./support/aws.js";

const TABLE = "baton-gateway-it";
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

let gateway: HeartbeatGateway;
let dynamo: DynamoDBClient;
const transports: HeartbeatTransport[] = [];

/** The agent's own transport, signing with a node's static test key. */
function agentOf(node: keyof typeof EXAMPLE_NODE_KEYS, overrides: { secret?: string; timeoutMs?: number } = {}) {
  const key = EXAMPLE_NODE_KEYS[node];
  const transport = createHeartbeatClient({
    url: gateway.url,
    region: "us-east-1",
    timeoutMs: overrides.timeoutMs ?? 5_000,
    credentials: () =>
      Promise.resolve({ accessKeyId: key.accessKeyId, secretAccessKey: overrides.secret ?? key.secretAccessKey }),
  });
  transports.push(transport);
  return transport;
}

async function recorded(nodeId: string): Promise<boolean> {
  const out = await dynamo.send(
    new GetItemCommand({ TableName: TABLE, Key: marshall(itemKeys.nodeLiveness(nodeId)), ConsistentRead: true }),
  );
  return out.Item !== undefined;
}

/** Posts `body` with exactly `headers` (no client in between), for signatures the agent would never send. */
function rawPost(headers: Record<string, string>, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}/v1/heartbeat`, { method: "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("end", () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown }),
      );
    });
    req.once("error", reject);
    req.end(body);
  });
}

/** Headers signed by db-a's key for `body`, at `signingDate`. */
async function signedHeaders(body: string, signingDate = new Date()): Promise<Record<string, string>> {
  const key = EXAMPLE_NODE_KEYS["db-a"];
  const signer = new SignatureV4({
    service: "execute-api",
    region: "us-east-1",
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Hash.bind(null, "sha256"),
  });
  const host = new URL(gateway.url).host;
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: "/v1/heartbeat",
      query: {},
      headers: { host, "content-type": "application/json" },
      body,
    },
    { signingDate },
  );
  return signed.headers;
}

beforeAll(async () => {
  await useFreshMoto();
  const handler = heartbeatHandlerOver(TABLE, parse(readFileSync("examples/cluster.yaml", "utf8")));
  gateway = await startHeartbeatGateway({ handler, identities: identitiesOf(EXAMPLE_NODE_KEYS) });
});

beforeEach(async () => {
  await useFreshMoto();
  dynamo = await createStateTable(TABLE);
});

afterAll(async () => {
  for (const transport of transports) transport.close();
  await gateway.close();
});

describe("the heartbeat gateway (API Gateway's IAM authorization in front of the real handler, over moto)", () => {
  it("accepts a heartbeat the agent's client signed, and the real handler records and acknowledges it", async () => {
    // Prepare
    const body = heartbeatBody("db-a", { seq: 3 });
    // Act
    const reply = await agentOf("db-a").send(body);
    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      cluster: "orders-db",
      nodeId: "db-a",
      bootId: body.bootId,
      seq: 3,
      leaseDurationMs: 10_000,
      groups: [{ id: "postgres", owner: null, epoch: 0 }],
    });
    expect(await recorded("db-a")).toBe(true);
  });

  it("passes the proven identity on: a node signing for another gets the handler's CallerNotNode", async () => {
    // Act
    const reply = await agentOf("db-b").send(heartbeatBody("db-a"));
    // Assess
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ error: { code: "CallerNotNode" } });
    expect(await recorded("db-a")).toBe(false);
  });

  it("refuses a wrong secret with 403 and API Gateway's signature mismatch message, before the handler", async () => {
    // Act
    const reply = await agentOf("db-a", { secret: "not-the-secret" }).send(heartbeatBody("db-a"));
    // Assess
    expect(reply).toEqual({ status: 403, body: { message: MISMATCH } });
    expect(await recorded("db-a")).toBe(false);
  });

  it("refuses an unsigned request with 403 Forbidden", async () => {
    // Act
    const reply = await rawPost({ "content-type": "application/json" }, JSON.stringify(heartbeatBody("db-a")));
    // Assess
    expect(reply).toEqual({ status: 403, body: { message: "Forbidden" } });
  });

  it("refuses a body that is not the one signed", async () => {
    // Prepare
    const headers = await signedHeaders(JSON.stringify(heartbeatBody("db-a", { seq: 1 })));
    // Act
    const reply = await rawPost(headers, JSON.stringify(heartbeatBody("db-a", { seq: 9 })));
    // Assess
    expect(reply.status).toBe(403);
    expect(await recorded("db-a")).toBe(false);
  });

  it("refuses a signature older than 5 minutes", async () => {
    // Prepare
    const body = JSON.stringify(heartbeatBody("db-a"));
    const headers = await signedHeaders(body, new Date(Date.now() - 10 * 60_000));
    // Act
    const reply = await rawPost(headers, body);
    // Assess
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ message: expect.stringContaining("Signature expired") as unknown });
  });

  it("cuts one node off: a blocked key gets no answer (the agent times out) while others are answered", async () => {
    // Prepare
    gateway.block(EXAMPLE_NODE_KEYS["db-a"].accessKeyId);
    try {
      // Act
      const cutOff = agentOf("db-a", { timeoutMs: 500 }).send(heartbeatBody("db-a"));
      const other = await agentOf("db-b").send(heartbeatBody("db-b"));
      // Assess
      await expect(cutOff).rejects.toThrow(HeartbeatTransportError);
      await expect(cutOff).rejects.toThrow("no answer within 500 ms");
      expect(other.status).toBe(200);
      expect(await recorded("db-a")).toBe(false);
    } finally {
      gateway.unblock(EXAMPLE_NODE_KEYS["db-a"].accessKeyId);
    }
    expect((await agentOf("db-a").send(heartbeatBody("db-a"))).status).toBe(200);
  });

  it("can reset a blocked node's connection instead", async () => {
    // Prepare
    gateway.block(EXAMPLE_NODE_KEYS["db-b"].accessKeyId, "reset");
    try {
      // Act
      const outcome = agentOf("db-b").send(heartbeatBody("db-b"));
      // Assess
      await expect(outcome).rejects.toThrow(/connection reset|socket hang up/);
    } finally {
      gateway.unblock(EXAMPLE_NODE_KEYS["db-b"].accessKeyId);
    }
  });

  it("answers the next requests of a key with an injected answer, then with the handler's again", async () => {
    // Prepare
    gateway.injectAnswer(EXAMPLE_NODE_KEYS["office-1"].accessKeyId, { status: 200, body: "{not json" }, 1);
    const agent = agentOf("office-1");
    // Act
    const hostile = await agent.send(heartbeatBody("office-1", { seq: 1 }));
    const honest = await agent.send(heartbeatBody("office-1", { seq: 2 }));
    // Assess
    expect(hostile).toEqual({ status: 200, body: undefined });
    expect(honest.status).toBe(200);
    expect(honest.body).toMatchObject({ nodeId: "office-1", seq: 2 });
  });
});
