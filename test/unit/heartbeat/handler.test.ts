import { describe, expect, it } from "vitest";
import { StaleHeartbeatError, StoreUnavailableError } from "../../../lib/core/heartbeat/errors.js";
import type { Heartbeat } from "../../../lib/core/heartbeat/message.js";
import type { GroupOwnership, HeartbeatStore } from "../../../lib/core/heartbeat/store.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import { exampleDefinition, exampleIndex } from "../../support/example-cluster.js";

/** A stateful stand-in for the table: records what was written, or fails as told. */
class FakeStore implements HeartbeatStore {
  readonly recorded: { heartbeat: Heartbeat; receivedAt: number; grantedLeaseMs: number }[] = [];
  failWith: Error | undefined;
  ownership = new Map<string, GroupOwnership>();
  recordHeartbeat(heartbeat: Heartbeat, receivedAt: number, grantedLeaseMs: number): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.recorded.push({ heartbeat, receivedAt, grantedLeaseMs });
    return Promise.resolve();
  }
  readOwnership(): Promise<ReadonlyMap<string, GroupOwnership>> {
    return Promise.resolve(this.ownership);
  }
}

const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined };
const metrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined };
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);

function setup() {
  const store = new FakeStore();
  const handler = createHeartbeatHandler({
    index: exampleIndex(),
    store,
    clock: { now: () => NOW },
    logger: silent,
    metrics,
  });
  return { store, handler };
}

describe("heartbeat handler", () => {
  it("stamps the receipt time from its own clock and acknowledges with owners, epochs and desired states", async () => {
    // Prepare
    const { store, handler } = setup();
    store.ownership.set("postgres", {
      owner: "db-b",
      epoch: 12,
      desired: { "pg-mount": "online", postgres: "online" },
      status: "online",
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-b", { seq: 2 }), CALLERS["db-b"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(store.recorded.map((r) => r.receivedAt)).toEqual([NOW]);
    expect(JSON.parse(response.body!)).toMatchObject({
      receivedAt: "2026-11-22T03:00:00.000Z",
      groups: [
        { id: "postgres", owner: "db-b", epoch: 12, resources: { "pg-mount": "online", postgres: "online" } },
        { id: "reports", owner: null, epoch: 0, resources: { "report-svc": "offline" } },
      ],
    });
  });

  it("reads the owners only once its own write has committed, never in parallel with it", async () => {
    // Prepare: a table whose write takes a while to commit, and that notes each call's start and end.
    const calls: string[] = [];
    let writing = false;
    const store: HeartbeatStore = {
      async recordHeartbeat() {
        calls.push("write started");
        writing = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
        writing = false;
        calls.push("write committed");
      },
      readOwnership() {
        calls.push(writing ? "read started during the write" : "read started");
        return Promise.resolve(new Map<string, GroupOwnership>());
      },
    };
    const handler = createHeartbeatHandler({
      index: exampleIndex(),
      store,
      clock: { now: () => NOW },
      logger: silent,
      metrics,
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess: a pass's write conditioned on the node's previous report then either commits before this
    // heartbeat's write (and this read sees its new owner) or fails; the answer never shows an older owner.
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual(["write started", "write committed", "read started"]);
  });

  it("does not read the owners when its write fails", async () => {
    // Prepare
    const { store, handler } = setup();
    store.failWith = new StoreUnavailableError("throttled");
    let reads = 0;
    store.readOwnership = () => {
      reads++;
      return Promise.resolve(new Map<string, GroupOwnership>());
    };
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(reads).toBe(0);
  });

  it("records with the heartbeat the lease its answer grants (the definition's 10 s) and the epochs the agent obeys", async () => {
    // Prepare
    const { store, handler } = setup();
    const body = { ...heartbeatBody("db-a"), epochs: { postgres: 4 } };
    // Act
    const response = await handler(heartbeatEvent(body, CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(JSON.parse(response.body!)).toMatchObject({ leaseDurationMs: 10_000 });
    expect(store.recorded).toMatchObject([{ grantedLeaseMs: 10_000, heartbeat: { epochs: { postgres: 4 } } }]);
  });

  it("tells a node that does not own a group to keep all its agent-side resources offline", async () => {
    // Prepare
    const { store, handler } = setup();
    store.ownership.set("postgres", {
      owner: "db-a",
      epoch: 4,
      desired: { "pg-mount": "online", postgres: "online" },
      status: "online",
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-b"), CALLERS["db-b"]), LAMBDA_CONTEXT);
    // Assess
    const groups = (JSON.parse(response.body!) as { groups: unknown[] }).groups;
    expect(groups[0]).toMatchObject({
      id: "postgres",
      owner: "db-a",
      epoch: 4,
      resources: { "pg-mount": "offline", postgres: "offline" },
    });
  });

  it("sends the owner only its agent-side resources, offline where the controller named none", async () => {
    // Prepare
    const { store, handler } = setup();
    store.ownership.set("postgres", {
      owner: "db-a",
      epoch: 2,
      desired: { "pg-mount": "online", data: "online", ip: "online" },
      status: "moving",
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    const groups = (JSON.parse(response.body!) as { groups: { resources: unknown }[] }).groups;
    expect(groups.map((g) => g.resources)).toEqual([{ "pg-mount": "online", postgres: "offline" }]);
  });

  it("sends every group's agent resource specs in start order, whoever owns it", async () => {
    // Prepare
    const { store, handler } = setup();
    store.ownership.set("postgres", { owner: "db-a", epoch: 4, desired: {}, status: "online" });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-b"), CALLERS["db-b"]), LAMBDA_CONTEXT);
    // Assess
    const groups = (JSON.parse(response.body!) as { groups: { id: string; agentResources: unknown[] }[] }).groups;
    expect(groups.map((g) => [g.id, g.agentResources])).toEqual([
      [
        "postgres",
        [
          {
            id: "pg-mount",
            type: "mount",
            path: "/var/lib/postgresql",
            volumeId: "vol-0a1b2c3d4e5f60001",
            device: "/dev/xvdf",
            dependsOn: [],
            pendingTimeoutMs: 180_000,
            stopTimeoutMs: 1_000,
            restart: { threshold: 3, periodMs: 900_000 },
          },
          {
            id: "postgres",
            type: "systemd",
            unit: "postgresql.service",
            dependsOn: ["pg-mount"],
            pendingTimeoutMs: 180_000,
            stopTimeoutMs: 2_000,
            restart: { threshold: 3, periodMs: 900_000 },
          },
        ],
      ],
      ["reports", [expect.objectContaining({ id: "report-svc", type: "command", stopTimeoutMs: 1_000 })]],
    ]);
  });

  it("records a leaving heartbeat and tells the owner to keep everything offline", async () => {
    // Prepare
    const { store, handler } = setup();
    store.ownership.set("postgres", {
      owner: "db-a",
      epoch: 4,
      desired: { "pg-mount": "online", postgres: "online" },
      status: "online",
    });
    const body = {
      ...heartbeatBody("db-a", { resources: { "pg-mount": "offline", postgres: "failed" } }),
      leaving: true,
    };
    // Act
    const response = await handler(heartbeatEvent(body, CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(store.recorded.map((r) => r.heartbeat.leaving)).toEqual([true]);
    const groups = (JSON.parse(response.body!) as { groups: { resources: unknown }[] }).groups;
    expect(groups.map((g) => g.resources)).toEqual([{ "pg-mount": "offline", postgres: "offline" }]);
  });

  it("answers 400 to a leaving heartbeat that still runs a resource, without touching the table", async () => {
    // Prepare
    const { store, handler } = setup();
    const body = {
      ...heartbeatBody("db-a", { resources: { "pg-mount": "online", postgres: "offline" } }),
      leaving: true,
    };
    // Act
    const response = await handler(heartbeatEvent(body, CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!)).toMatchObject({
      error: { code: "MalformedHeartbeat", problems: [{ path: "leaving" }, { path: "resources.pg-mount" }] },
    });
    expect(store.recorded).toEqual([]);
  });

  it("answers 400 to a heartbeat reporting a resource __proto__, naming the field, without touching the table", async () => {
    // Prepare: as text, so that JSON.parse makes __proto__ a key of the body (a literal would set a prototype).
    const { store, handler } = setup();
    const body = JSON.stringify(heartbeatBody("db-a", { resources: { "pg-mount": "online" } })).replace(
      '"pg-mount":"online"',
      '"pg-mount":"online","__proto__":"online"',
    );
    // Act
    const response = await handler(heartbeatEvent(body, CALLERS["db-a"], { raw: true }), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(400);
    const answer = JSON.parse(response.body!) as {
      error: { code: string; message: string; problems: { path: string; message: string }[] };
    };
    expect(answer.error.code).toBe("MalformedHeartbeat");
    expect(answer.error.problems.map((p) => p.path)).toEqual(["resources.__proto__"]);
    expect(answer.error.problems[0]?.message).toContain("reserved");
    expect(answer.error.message).toContain("resources.__proto__ is a reserved name");
    expect(store.recorded).toEqual([]);
  });

  it.each([
    ["413", heartbeatEvent({ ...heartbeatBody("db-a"), pad: "x".repeat(17_000) }, CALLERS["db-a"]), 413],
    ["400", heartbeatEvent("{", CALLERS["db-a"], { raw: true }), 400],
    ["404", heartbeatEvent(heartbeatBody("db-q"), CALLERS["db-a"]), 404],
    ["403", heartbeatEvent(heartbeatBody("db-a"), CALLERS["office-1"]), 403],
  ])("answers %s without touching the table", async (_status, event, status) => {
    // Prepare
    const { store, handler } = setup();
    // Act
    const response = await handler(event, LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(status);
    expect(store.recorded).toEqual([]);
    expect(response.headers?.["content-type"]).toBe("application/json");
  });

  it("answers 409 when the store says the heartbeat is stale", async () => {
    // Prepare
    const { store, handler } = setup();
    store.failWith = new StaleHeartbeatError("seq 1 is not greater than 4", [
      { path: "seq", message: "must be greater than 4" },
    ]);
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body!)).toEqual({
      error: {
        code: "StaleHeartbeat",
        message: "seq 1 is not greater than 4",
        problems: [{ path: "seq", message: "must be greater than 4" }],
      },
    });
  });

  it("answers 503 when the table is unavailable: an AWS failure is not the node's fault", async () => {
    // Prepare
    const { store, handler } = setup();
    store.failWith = new StoreUnavailableError("throttled", {
      cause: new Error("ProvisionedThroughputExceededException"),
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body!)).toMatchObject({ error: { code: "StoreUnavailable" } });
  });

  it("answers 500 with no stack or internal message for an unexpected error", async () => {
    // Prepare
    const { store, handler } = setup();
    store.failWith = new TypeError("secret internal detail");
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("secret");
    expect(response.body).not.toMatch(/\bat /);
  });
});

describe("heartbeat handler: who may speak for a node (issue 9)", () => {
  /** Everything a refusal must not tell a caller: the cluster's node ids, instance ids and principals. */
  const SECRETS = [
    "db-a",
    "db-b",
    "office-1",
    "i-0a1b2c3d4e5f60001",
    "i-0a1b2c3d4e5f60002",
    "baton-node",
    "arn:aws:iam::",
  ];

  /** A logger that keeps what it was told, so the details a body leaves out can be found in the log. */
  function recordingLogger() {
    const lines: { message: string; attributes: Record<string, unknown> }[] = [];
    const keep = (message: string, attributes: Record<string, unknown>) => void lines.push({ message, attributes });
    return { lines, logger: { debug: keep, warn: keep, error: keep } };
  }

  it.each([
    // Any role that may invoke the API can pick the instance id as its session name.
    ["a session of another role named after db-a's instance", "db-a", "some-other-role/i-0a1b2c3d4e5f60001"],
    ["db-b's own session (the right role, another instance id)", "db-a", "baton-node/i-0a1b2c3d4e5f60002"],
    ["a session of the right role named at will", "db-a", "baton-node/operator"],
    ["a session of db-a's role claiming the on-premise node", "office-1", "baton-node/i-0a1b2c3d4e5f60001"],
  ])("answers 403 to %s and changes nothing", async (_case, nodeId, roleAndSession) => {
    // Prepare
    const { lines, logger } = recordingLogger();
    const store = new FakeStore();
    const handler = createHeartbeatHandler({
      index: exampleIndex(),
      store,
      clock: { now: () => NOW },
      logger,
      metrics,
    });
    const caller = `arn:aws:sts::123456789012:assumed-role/${roleAndSession}`;
    const body = { ...heartbeatBody(nodeId, { seq: 99 }), leaving: true };
    // Act
    const response = await handler(heartbeatEvent(body, caller), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body!)).toMatchObject({ error: { code: "CallerNotNode" } });
    expect(store.recorded).toEqual([]);
    for (const secret of SECRETS) expect(response.body).not.toContain(secret);
    // The log names the node, the caller and the identity the definition expects.
    const refusal = lines.find((line) => line.message === "heartbeat refused");
    expect(refusal?.attributes).toMatchObject({ status: 403, nodeId, callerArn: caller });
    expect(JSON.stringify(refusal?.attributes)).toContain("role/baton-node");
  });

  it("pins a node's role by its unique id when the definition gives principalId", async () => {
    // Prepare: db-a's role pinned; the role deleted and recreated under the same name has a new unique id.
    const definition = exampleDefinition();
    const pinned = {
      ...definition,
      nodes: definition.nodes.map((node) =>
        node.id === "db-a" ? { ...node, principalId: "AROA3XFRBF23EXAMPLE1" } : node,
      ),
    };
    const store = new FakeStore();
    const handler = createHeartbeatHandler({
      index: indexCluster(pinned),
      store,
      clock: { now: () => NOW },
      logger: silent,
      metrics,
    });
    const send = (userId: string) =>
      handler(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"], { userId }), LAMBDA_CONTEXT);
    // Act
    const recreated = await send("AROA3XFRBF23NEWROLE1:i-0a1b2c3d4e5f60001");
    const original = await send("AROA3XFRBF23EXAMPLE1:i-0a1b2c3d4e5f60001");
    // Assess
    expect(recreated.statusCode).toBe(403);
    expect(recreated.body).not.toContain("AROA");
    expect(original.statusCode).toBe(200);
    expect(store.recorded).toHaveLength(1);
  });

  it("answers 404 without listing the cluster's nodes, and logs them", async () => {
    // Prepare
    const { lines, logger } = recordingLogger();
    const store = new FakeStore();
    const handler = createHeartbeatHandler({
      index: exampleIndex(),
      store,
      clock: { now: () => NOW },
      logger,
      metrics,
    });
    // Act
    const response = await handler(heartbeatEvent(heartbeatBody("db-q"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body!)).toMatchObject({
      error: { code: "UnknownNode", problems: [{ path: "nodeId" }] },
    });
    for (const secret of SECRETS) expect(response.body).not.toContain(secret);
    expect(store.recorded).toEqual([]);
    const refusal = lines.find((line) => line.message === "heartbeat refused");
    expect(JSON.stringify(refusal?.attributes)).toContain("db-a, db-b, office-1");
  });
});
