import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { type DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { parse } from "yaml";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { itemKeys } from "../../lib/aws/table-layout.js";
import { createDynamoDbClient } from "../../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../../lib/aws/heartbeat-store.js";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { StateConflictError } from "../../lib/core/controller/adapters.js";
import { emptyGroupRecord } from "../../lib/core/controller/records.js";
import { indexCluster } from "../../lib/core/cluster-index.js";
import { loadEmbeddedDefinition } from "../../lib/handlers/embedded-definition.js";
import { createHeartbeatHandler, type HeartbeatHandler } from "../../lib/handlers/heartbeat.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../support/heartbeat-events.js";
import { createStateTable, useFreshMoto } from "./support/aws.js";

const TABLE = "baton-heartbeat-it";

let handler: HeartbeatHandler;
let dynamo: DynamoDBClient;

async function liveness(nodeId: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamo.send(
    new GetItemCommand({ TableName: TABLE, Key: marshall(itemKeys.nodeLiveness(nodeId)), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

/** Every item of the table, in key order. */
async function wholeTable(): Promise<Record<string, unknown>[]> {
  const out = await dynamo.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  return (out.Items ?? [])
    .map((item) => unmarshall(item))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** The answer's body, as the protocol gives it (docs/protocol.md). */
interface Answer {
  readonly error: { code: string; message: string; problems?: { path: string; message: string }[] };
  readonly groups: { id: string; owner: string | null; epoch: number; resources: unknown; agentResources: unknown[] }[];
  readonly receivedAt: string;
}

/** Each group of an answer without its agent resource specs, which come from the definition alone. */
function states(answer: Answer): Omit<Answer["groups"][number], "agentResources">[] {
  return answer.groups.map(({ id, owner, epoch, resources }) => ({ id, owner, epoch, resources }));
}

async function send(body: unknown, caller: string | undefined, options?: { raw?: boolean; base64?: boolean }) {
  const response = await handler(heartbeatEvent(body, caller, options), LAMBDA_CONTEXT);
  return { status: response.statusCode, body: JSON.parse(response.body ?? "{}") as Answer };
}

beforeAll(async () => {
  await useFreshMoto();
  // The deployed function gets these from its bundle and its environment; so does the real handler here.
  process.env.TABLE_NAME = TABLE;
  process.env.BATON_DEFINITION = JSON.stringify(parse(readFileSync("examples/cluster.yaml", "utf8")));
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
});

/**
 * The deployed function's handler in a fresh execution environment: its per-node allowance
 * (at most 10 heartbeats of a node at once, docs/protocol.md) is full again.
 */
async function freshHandler(): Promise<HeartbeatHandler> {
  vi.resetModules();
  return (await import("../../lambdas/heartbeat.js")).handler;
}

beforeEach(async () => {
  await useFreshMoto();
  dynamo = await createStateTable(TABLE);
  handler = await freshHandler();
});

describe("POST /v1/heartbeat against DynamoDB (moto)", () => {
  it("records an EC2 node's heartbeat with the function's receipt time and answers lease, interval and groups", async () => {
    // Prepare
    const body = heartbeatBody("db-b", { seq: 7, resources: { "report-svc": "offline" } });
    const before = Date.now();
    // Act
    const response = await send(body, CALLERS["db-b"]);
    // Assess
    const after = Date.now();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      cluster: "orders-db",
      nodeId: "db-b",
      bootId: body.bootId,
      seq: 7,
      leaseDurationMs: 10_000,
      heartbeatIntervalMs: 2_000,
      groups: [
        { id: "postgres", owner: null, epoch: 0, resources: { "pg-mount": "offline", postgres: "offline" } },
        { id: "reports", owner: null, epoch: 0, resources: { "report-svc": "offline" } },
      ],
    });
    const item = await liveness("db-b");
    expect(item).toMatchObject({ nodeId: "db-b", bootId: body.bootId, seq: 7, resources: { "report-svc": "offline" } });
    expect(item?.receivedAt).toBeGreaterThanOrEqual(before);
    expect(item?.receivedAt).toBeLessThanOrEqual(after);
    expect(item?.bootStartedAt).toBe(item?.receivedAt);
    expect(item).not.toHaveProperty("leaving");
    expect(item).not.toHaveProperty("epochs");
    expect(Date.parse(response.body.receivedAt)).toBe(item?.receivedAt);
    // The lease the answer grants, recorded with the heartbeat before the answer went out.
    expect(item).toMatchObject({ leaseMs: 10_000, leaseUntil: (item?.receivedAt as number) + 10_000 });
    expect(response.body.groups[0]?.agentResources).toEqual([
      expect.objectContaining({
        id: "pg-mount",
        type: "mount",
        volumeId: "vol-0a1b2c3d4e5f60001",
        device: "/dev/xvdf",
        dependsOn: [],
      }),
      expect.objectContaining({ id: "postgres", type: "systemd", dependsOn: ["pg-mount"], stopTimeoutMs: 2_000 }),
    ]);
  });

  it("records the epochs the agent obeys on the node item, as sent", async () => {
    // Prepare
    const body = { ...heartbeatBody("db-b", { seq: 3 }), epochs: { postgres: 12, reports: 0 } };
    // Act
    const response = await send(body, CALLERS["db-b"]);
    // Assess
    expect(response.status).toBe(200);
    expect(await liveness("db-b")).toMatchObject({ seq: 3, epochs: { postgres: 12, reports: 0 } });
  });

  it("records a leaving heartbeat on the node item, answers it all offline, and clears it with the next one", async () => {
    // Prepare
    await dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({
          ...itemKeys.groupState("postgres"),
          owner: "db-a",
          epoch: 3,
          status: "online",
          desired: { "pg-mount": "online", postgres: "online" },
        }),
      }),
    );
    const bootId = randomUUID();
    const stopped = { "pg-mount": "offline", postgres: "failed" };
    // Act
    const leaving = await send(
      { ...heartbeatBody("db-a", { bootId, seq: 7, resources: stopped }), leaving: true },
      CALLERS["db-a"],
    );
    const whileLeaving = await liveness("db-a");
    const sameBoot = await send(heartbeatBody("db-a", { bootId, seq: 8, resources: stopped }), CALLERS["db-a"]);
    const afterSameBoot = await liveness("db-a");
    await send({ ...heartbeatBody("db-a", { bootId, seq: 9, resources: stopped }), leaving: true }, CALLERS["db-a"]);
    const newBoot = await send(heartbeatBody("db-a", { seq: 0 }), CALLERS["db-a"]);
    const afterNewBoot = await liveness("db-a");
    // Assess
    expect([leaving.status, sameBoot.status, newBoot.status]).toEqual([200, 200, 200]);
    expect(states(leaving.body)).toEqual([
      { id: "postgres", owner: "db-a", epoch: 3, resources: { "pg-mount": "offline", postgres: "offline" } },
    ]);
    expect(whileLeaving).toMatchObject({ bootId, seq: 7, leaving: true, resources: stopped });
    expect(afterSameBoot).toMatchObject({ bootId, seq: 8 });
    expect(afterSameBoot).not.toHaveProperty("leaving");
    expect(afterNewBoot).toMatchObject({ seq: 0, retiredBoots: [bootId] });
    expect(afterNewBoot).not.toHaveProperty("leaving");
    expect(states(newBoot.body)[0]?.resources).toEqual({ "pg-mount": "online", postgres: "online" });
  });

  it("tells the node each group's current owner, epoch and, to the owner, the desired states from the table", async () => {
    // Prepare
    await dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({
          ...itemKeys.groupState("postgres"),
          owner: "db-a",
          epoch: 3,
          status: "online",
          desired: { "pg-mount": "online", postgres: "online" },
        }),
      }),
    );
    // Act
    const owner = await send(heartbeatBody("db-a"), CALLERS["db-a"]);
    const other = await send(heartbeatBody("db-b"), CALLERS["db-b"]);
    // Assess
    expect(owner.status).toBe(200);
    expect(states(owner.body)).toEqual([
      { id: "postgres", owner: "db-a", epoch: 3, resources: { "pg-mount": "online", postgres: "online" } },
    ]);
    expect(states(other.body)[0]).toEqual({
      id: "postgres",
      owner: "db-a",
      epoch: 3,
      resources: { "pg-mount": "offline", postgres: "offline" },
    });
  });

  it("reads an item the controller wrote (DynamoClusterStateStore) for the owner's desired states", async () => {
    // Prepare
    const store = new DynamoClusterStateStore(dynamo, TABLE);
    await store.writeGroup(
      {
        ...emptyGroupRecord("reports", 1),
        version: 1,
        owner: "office-1",
        epoch: 1,
        status: "online",
        desired: { "report-svc": "online" },
      },
      0,
    );
    // Act
    const response = await send(heartbeatBody("office-1"), CALLERS["office-1"]);
    // Assess
    expect(states(response.body)).toEqual([
      { id: "reports", owner: "office-1", epoch: 1, resources: { "report-svc": "online" } },
    ]);
  });

  describe("an agent restarted while a pass acts on its leaving mark (issue 8, 1.3)", () => {
    /** postgres online on db-a; db-a's agent leaves (old boot), and a pass reads that report. */
    async function leftAndRead() {
      const store = new DynamoClusterStateStore(dynamo, TABLE);
      const online = {
        ...emptyGroupRecord("postgres", 1),
        version: 1,
        owner: "db-a",
        epoch: 1,
        status: "online" as const,
        desired: { "pg-mount": "online" as const, postgres: "online" as const },
      };
      await store.writeGroup(online, 0);
      const stopped = { "pg-mount": "offline", postgres: "offline" };
      const left = await send(
        { ...heartbeatBody("db-a", { seq: 7, resources: stopped }), leaving: true },
        CALLERS["db-a"],
      );
      expect(left.status).toBe(200);
      const report = (await store.readSnapshot()).liveness.get("db-a")!;
      expect(report).toMatchObject({ seq: 7, leaving: true });
      // What the pass decides on that report: move postgres to db-b, without a fence.
      const moved = { ...online, version: 2, owner: "db-b", epoch: 2, status: "moving" as const, desired: {} };
      const write = () => store.writeGroup(moved, 1, [{ nodeId: "db-a", bootId: report.bootId, seq: report.seq }]);
      return { write };
    }

    it("the new boot answered 'owner db-a, online' makes the pass's write fail: the group does not move", async () => {
      // Prepare
      const { write } = await leftAndRead();
      // Act: the new boot's first heartbeat is recorded and answered before the pass writes.
      const newBoot = await send(heartbeatBody("db-a", { seq: 0 }), CALLERS["db-a"]);
      const moving = write();
      // Assess
      expect(states(newBoot.body)[0]).toEqual({
        id: "postgres",
        owner: "db-a",
        epoch: 1,
        resources: { "pg-mount": "online", postgres: "online" },
      });
      await expect(moving).rejects.toBeInstanceOf(StateConflictError);
      const snapshot = await new DynamoClusterStateStore(dynamo, TABLE).readSnapshot();
      expect(snapshot.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, version: 1 });
    });

    it("a pass that writes first is seen by the new boot's answer: owner db-b, epoch 2, nothing to run", async () => {
      // Prepare
      const { write } = await leftAndRead();
      // Act
      await write();
      const newBoot = await send(heartbeatBody("db-a", { seq: 0 }), CALLERS["db-a"]);
      // Assess
      expect(states(newBoot.body)[0]).toEqual({
        id: "postgres",
        owner: "db-b",
        epoch: 2,
        resources: { "pg-mount": "offline", postgres: "offline" },
      });
    });
  });

  it("accepts an on-premise node signing with its role, and a base64-encoded body", async () => {
    // Prepare
    const body = heartbeatBody("office-1", { resources: { "report-svc": "online", "reports-dns": "online" } });
    // Act
    const response = await send(body, CALLERS["office-1"], { base64: true });
    // Assess
    expect(response.status).toBe(200);
    expect(states(response.body)).toEqual([
      { id: "reports", owner: null, epoch: 0, resources: { "report-svc": "offline" } },
    ]);
    expect((await liveness("office-1"))?.resources).toEqual({ "report-svc": "online", "reports-dns": "online" });
  });

  it.each([
    // Issue 9: any role that may invoke the API can name its session after the node's instance.
    [
      "a session of another role named after the node's instance id",
      "db-a",
      "arn:aws:sts::123456789012:assumed-role/some-other-role/i-0a1b2c3d4e5f60001",
    ],
    ["a session of the node's role with another instance id", "db-a", CALLERS["db-b"]],
    [
      "a session of the node's role named at will",
      "db-a",
      "arn:aws:sts::123456789012:assumed-role/baton-node/operator",
    ],
    ["an EC2 node's session for the on-premise node", "office-1", CALLERS["db-a"]],
    [
      "a session of the right instance id in another account",
      "db-a",
      CALLERS["db-a"].replace("123456789012", "210987654321"),
    ],
    ["another role for an on-premise node", "office-1", "arn:aws:sts::123456789012:assumed-role/some-other-role/s"],
    ["an empty IAM identity", "db-a", undefined],
  ])("answers 403 and writes nothing when signed by %s", async (_case, nodeId, caller) => {
    // Act
    const response = await send(heartbeatBody(nodeId), caller);
    // Assess
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("CallerNotNode");
    expect(await liveness(nodeId)).toBeUndefined();
  });

  it("leaves the table as it was when another role's session named after db-a's instance says db-a is leaving", async () => {
    // Prepare: db-a is alive and owns postgres.
    await dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({
          ...itemKeys.groupState("postgres"),
          owner: "db-a",
          epoch: 3,
          status: "online",
          desired: { "pg-mount": "online", postgres: "online" },
        }),
      }),
    );
    const bootId = randomUUID();
    const running = { "pg-mount": "online", postgres: "online" };
    expect((await send(heartbeatBody("db-a", { bootId, seq: 1, resources: running }), CALLERS["db-a"])).status).toBe(
      200,
    );
    const before = await wholeTable();
    const forged = "arn:aws:sts::123456789012:assumed-role/some-other-role/i-0a1b2c3d4e5f60001";
    const stopped = { "pg-mount": "offline", postgres: "offline" };
    // Act: the same boot, a later seq, everything stopped and leaving; then a new boot.
    const leaving = await send(
      { ...heartbeatBody("db-a", { bootId, seq: 2, resources: stopped }), leaving: true },
      forged,
    );
    const newBoot = await send(heartbeatBody("db-a", { seq: 1, resources: stopped }), forged);
    // Assess
    expect([leaving.status, newBoot.status]).toEqual([403, 403]);
    for (const answer of [leaving, newBoot]) {
      expect(JSON.stringify(answer.body)).not.toMatch(/db-a|db-b|office-1|i-0a1b2c3d4e5f6000|baton-node|arn:aws:iam/);
    }
    expect(await wholeTable()).toEqual(before);
  });

  it("answers 404 for a node the definition does not hold", async () => {
    // Act
    const response = await send(heartbeatBody("db-z"), CALLERS["db-a"]);
    // Assess
    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: "UnknownNode", problems: [{ path: "nodeId" }] });
    // The answer does not list the cluster's nodes (the log does).
    expect(JSON.stringify(response.body)).not.toMatch(/db-a|db-b|office-1/);
    expect(await liveness("db-z")).toBeUndefined();
  });

  it("records a heartbeat without the resources the definition does not have (a deploy renamed or removed them), and answers 200", async () => {
    // Act: an agent still reporting from an answer of the previous deploy.
    const body = heartbeatBody("db-a", { resources: { postgres: "online", nope: "online", "report-svc": "online" } });
    const response = await send(body, CALLERS["db-a"]);
    // Assess: refusing it would refuse for good the answer that changes what the agent reports.
    expect(response.status).toBe(200);
    expect((await liveness("db-a"))?.resources).toEqual({ postgres: "online", "report-svc": "online" });
  });

  it.each([
    ["malformed JSON", "{nodeId: db-a", { raw: true }, []],
    ["a body that is not an object", "[1,2]", { raw: true }, []],
    [
      "wrong types",
      { nodeId: "db-a", bootId: "not-a-uuid", seq: "7", resources: [] },
      {},
      ["bootId", "seq", "resources"],
    ],
    ["a missing field", { nodeId: "db-a", bootId: randomUUID(), resources: {} }, {}, ["seq"]],
    ["a negative seq", heartbeatBody("db-a", { seq: -1 }), {}, ["seq"]],
    [
      "a leaving heartbeat that still runs a resource",
      { ...heartbeatBody("db-a", { resources: { "pg-mount": "offline", postgres: "online" } }), leaving: true },
      {},
      ["leaving", "resources.postgres"],
    ],
    [
      "an unknown resource state",
      heartbeatBody("db-a", { resources: { postgres: "running" } }),
      {},
      ["resources.postgres"],
    ],
  ] as const)("answers 400 naming the fields for %s, and writes nothing", async (_case, body, options, paths) => {
    // Act
    const response = await send(body, CALLERS["db-a"], options);
    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("MalformedHeartbeat");
    const problems = response.body.error.problems ?? [];
    expect(problems.map((p) => p.path).sort()).toEqual([...paths].sort());
    for (const path of paths) expect(response.body.error.message).toContain(path);
    expect(await liveness("db-a")).toBeUndefined();
  });

  it("answers 413 for a body over 16 KiB and writes nothing", async () => {
    // Prepare
    const body = { ...heartbeatBody("db-a"), padding: "x".repeat(16 * 1024) };
    // Act
    const response = await send(body, CALLERS["db-a"]);
    // Assess
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("BodyTooLarge");
    expect(await liveness("db-a")).toBeUndefined();
  });

  it("answers 409 to a replay and to an older seq, leaving the record as it was", async () => {
    // Prepare
    const bootId = randomUUID();
    expect((await send(heartbeatBody("db-a", { bootId, seq: 5 }), CALLERS["db-a"])).status).toBe(200);
    const recorded = await liveness("db-a");
    // Act
    const replay = await send(heartbeatBody("db-a", { bootId, seq: 5 }), CALLERS["db-a"]);
    const older = await send(
      heartbeatBody("db-a", { bootId, seq: 4, resources: { postgres: "failed" } }),
      CALLERS["db-a"],
    );
    // Assess
    expect([replay.status, older.status]).toEqual([409, 409]);
    expect(replay.body.error).toMatchObject({ code: "StaleHeartbeat", problems: [{ path: "seq" }] });
    expect(await liveness("db-a")).toEqual(recorded);
  });

  it("accepts a reboot (new bootId, seq from 0) and then refuses late messages of the old boot", async () => {
    // Prepare
    const oldBoot = randomUUID();
    const newBoot = randomUUID();
    await send(heartbeatBody("db-a", { bootId: oldBoot, seq: 41 }), CALLERS["db-a"]);
    // Act
    const reboot = await send(heartbeatBody("db-a", { bootId: newBoot, seq: 0 }), CALLERS["db-a"]);
    const late = await send(heartbeatBody("db-a", { bootId: oldBoot, seq: 42 }), CALLERS["db-a"]);
    const next = await send(heartbeatBody("db-a", { bootId: newBoot, seq: 1 }), CALLERS["db-a"]);
    // Assess
    expect([reboot.status, late.status, next.status]).toEqual([200, 409, 200]);
    expect(late.body.error.problems).toEqual([{ path: "bootId", message: "is a boot the node has already left" }]);
    const item = await liveness("db-a");
    expect(item).toMatchObject({ bootId: newBoot, seq: 1, retiredBoots: [oldBoot] });
    // When the old boot was left: the new boot's first receipt (its late messages are refused for 6 minutes at least).
    expect(item?.retiredAt).toEqual([item?.bootStartedAt]);
    expect(item?.bootStartedAt).toBeGreaterThan(0);
    expect(item?.bootStartedAt).toBeLessThanOrEqual(item?.receivedAt as number);
  });

  it("records exactly one of two concurrent copies of a heartbeat, round after round", async () => {
    // Prepare
    const bootId = randomUUID();
    for (let seq = 1; seq <= 10; seq++) {
      // 20 heartbeats of one node within a second are more than it may send: each round lands on a fresh
      // execution environment, so the per-node allowance does not refuse them before the table decides.
      handler = await freshHandler();
      const body = heartbeatBody("db-a", { bootId, seq });
      // Act
      const results = await Promise.all([send(body, CALLERS["db-a"]), send(body, CALLERS["db-a"])]);
      // Assess
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await liveness("db-a")).toMatchObject({ seq });
    }
  });

  it("ends two concurrent heartbeats of one boot on the higher seq, whatever order they land in", async () => {
    // Prepare
    const bootId = randomUUID();
    // Act
    const [lower, higher] = await Promise.all([
      send(heartbeatBody("db-a", { bootId, seq: 8, resources: { postgres: "starting" } }), CALLERS["db-a"]),
      send(heartbeatBody("db-a", { bootId, seq: 9, resources: { postgres: "online" } }), CALLERS["db-a"]),
    ]);
    // Assess
    expect(higher.status).toBe(200);
    expect([200, 409]).toContain(lower.status);
    expect(await liveness("db-a")).toMatchObject({ seq: 9, resources: { postgres: "online" } });
  });

  it("answers 503, not a 4xx, when DynamoDB refuses the call (here: the table does not exist)", async () => {
    // Prepare
    const errors: unknown[] = [];
    const broken = createHeartbeatHandler({
      index: indexCluster(loadEmbeddedDefinition(process.env.BATON_DEFINITION)),
      store: new DynamoHeartbeatStore(createDynamoDbClient(), "no-such-table"),
      clock: { now: () => Date.now() },
      logger: { debug: () => undefined, warn: () => undefined, error: (_m, attrs) => errors.push(attrs.error) },
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    });
    // Act
    const response = await broken(heartbeatEvent(heartbeatBody("db-a"), CALLERS["db-a"]), LAMBDA_CONTEXT);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? "{}")).toMatchObject({ error: { code: "StoreUnavailable" } });
    expect(errors).toHaveLength(1);
  });
});
