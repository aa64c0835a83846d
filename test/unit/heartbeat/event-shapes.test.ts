import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import type { Heartbeat } from "../../../lib/core/heartbeat/message.js";
import type { GroupOwnership, HeartbeatStore } from "../../../lib/core/heartbeat/store.js";
import { pinPrincipalIds } from "../../../lib/handlers/embedded-definition.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import {
  CALLERS,
  functionUrlEvent,
  heartbeatBody,
  heartbeatEvent,
  LAMBDA_CONTEXT,
} from "../../support/heartbeat-events.js";

/**
 * The heartbeat function behind either endpoint: the HTTP API's payload 2.0 event and the function URL's, which
 * carries the SigV4 caller in the same `requestContext.authorizer.iam` but routes every method and path.
 */
class RecordingStore implements HeartbeatStore {
  readonly recorded: Heartbeat[] = [];
  recordHeartbeat(heartbeat: Heartbeat): Promise<void> {
    this.recorded.push(heartbeat);
    return Promise.resolve();
  }
  readOwnership(): Promise<ReadonlyMap<string, GroupOwnership>> {
    return Promise.resolve(new Map());
  }
}

const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined };
const metrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const NOW = Date.UTC(2026, 10, 30, 3, 0, 0);
/** The unique id of role baton-node (db-a and db-b), pinned as the construct pins a role the app creates. */
const BATON_NODE_ROLE_ID = "AROA3XFRBF23EXAMPLE1";
const PINNED = JSON.stringify({ "db-a": BATON_NODE_ROLE_ID, "db-b": BATON_NODE_ROLE_ID });

type MakeEvent = (body: unknown, callerArn: string, userId: string) => APIGatewayProxyEventV2WithIAMAuthorizer;

const SHAPES: [string, MakeEvent][] = [
  ["HTTP API", (body, callerArn, userId) => heartbeatEvent(body, callerArn, { userId })],
  ["function URL", (body, callerArn, userId) => functionUrlEvent(body, callerArn, { userId })],
];

function setup(now: () => number = () => NOW) {
  const store = new RecordingStore();
  const handler = createHeartbeatHandler({
    index: indexCluster(pinPrincipalIds(exampleDefinition(), PINNED)),
    store,
    clock: { now },
    logger: silent,
    metrics,
  });
  return { store, handler };
}

describe.each(SHAPES)("heartbeat handler, %s event", (_shape, event) => {
  const dbA = `${BATON_NODE_ROLE_ID}:i-0a1b2c3d4e5f60001`;

  it("records and answers a heartbeat signed by the node's own role", async () => {
    // Prepare
    const { store, handler } = setup();
    // Act
    const response = await handler(event(heartbeatBody("db-a"), CALLERS["db-a"], dbA), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(store.recorded.map((h) => h.nodeId)).toEqual(["db-a"]);
  });

  it("refuses with 403, writing nothing, a heartbeat for db-a signed by office-1's role", async () => {
    // Prepare
    const { store, handler } = setup();
    // Act
    const response = await handler(
      event(heartbeatBody("db-a"), CALLERS["office-1"], "AROA3XFRBF23OFFICE01:roles-anywhere-office-1"),
      LAMBDA_CONTEXT,
    );
    // Assess
    expect(response.statusCode).toBe(403);
    expect(store.recorded).toEqual([]);
  });

  it("refuses with 403 the node's role name on another role (deleted and recreated: another unique id)", async () => {
    // Prepare
    const { store, handler } = setup();
    // Act
    const response = await handler(
      event(heartbeatBody("db-a"), CALLERS["db-a"], "AROA3XFRBF23NEWROLE1:i-0a1b2c3d4e5f60001"),
      LAMBDA_CONTEXT,
    );
    // Assess
    expect(response.statusCode).toBe(403);
    expect(store.recorded).toEqual([]);
  });

  it("refuses a node's flood with 429 before the write: per node, whatever the endpoint", async () => {
    // Prepare: 50 heartbeats of db-a in the same millisecond, then one of db-b.
    const { store, handler } = setup();
    const flood = Array.from({ length: 50 }, (_, seq) => heartbeatBody("db-a", { seq: seq + 1 }));
    // Act
    const answers = [];
    for (const body of flood)
      answers.push((await handler(event(body, CALLERS["db-a"], dbA), LAMBDA_CONTEXT)).statusCode);
    const other = await handler(
      event(heartbeatBody("db-b"), CALLERS["db-b"], `${BATON_NODE_ROLE_ID}:i-0a1b2c3d4e5f60002`),
      LAMBDA_CONTEXT,
    );
    // Assess: some of db-a's are refused; db-b's is recorded.
    expect(answers.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(store.recorded.filter((h) => h.nodeId === "db-a").length).toBe(answers.filter((s) => s === 200).length);
    expect(other.statusCode).toBe(200);
  });
});

describe("heartbeat handler, function URL request line", () => {
  it.each([
    ["another path", { path: "/" }, 404, undefined],
    ["a path under the heartbeat's", { path: "/v1/heartbeat/x" }, 404, undefined],
    ["GET", { method: "GET" }, 405, "POST"],
    ["PUT", { method: "PUT" }, 405, "POST"],
  ])("answers %s, signed by a node, without writing", async (_case, line, status, allow) => {
    // Prepare
    const { store, handler } = setup();
    // Act
    const response = await handler(
      functionUrlEvent(heartbeatBody("db-a"), CALLERS["db-a"], {
        userId: `${BATON_NODE_ROLE_ID}:i-0a1b2c3d4e5f60001`,
        ...line,
      }),
      LAMBDA_CONTEXT,
    );
    // Assess
    expect(response.statusCode).toBe(status);
    expect(store.recorded).toEqual([]);
    expect(response.headers?.allow).toBe(allow);
  });

  it("refuses with 403 a request that reached the function without an IAM caller", async () => {
    // Prepare: authorizer without iam (a function URL with auth NONE, or a direct invocation).
    const { store, handler } = setup();
    const unsigned = functionUrlEvent(heartbeatBody("db-a"), CALLERS["db-a"]);
    const withoutIam = { ...unsigned, requestContext: { ...unsigned.requestContext, authorizer: {} } };
    // Act
    const response = await handler(withoutIam as unknown as APIGatewayProxyEventV2WithIAMAuthorizer, LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(403);
    expect(store.recorded).toEqual([]);
  });
});
