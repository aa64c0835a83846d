import { randomUUID } from "node:crypto";
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DynamoClusterStateStore } from "../../lib/aws/cluster-store.js";
import { DynamoHeartbeatStore } from "../../lib/aws/heartbeat-store.js";
import { itemKeys, LOG_RETENTION_DAYS } from "../../lib/aws/table-layout.js";
import { StateConflictError, type ClusterLogEntry } from "../../lib/core/controller/adapters.js";
import {
  emptyGroupRecord,
  type GroupRecord,
  type GuardRecord,
  type JudgedNodes,
  type Plan,
} from "../../lib/core/controller/records.js";
import { createStateTable, useFreshMoto } from "./support/aws.js";

const TABLE = "baton-cluster-store-it";
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
/** The lease the heartbeat's answer grants, recorded with it. */
const LEASE = 10_000;

let dynamo: DynamoDBClient;
let store: DynamoClusterStateStore;

beforeEach(async () => {
  await useFreshMoto();
  dynamo = await createStateTable(TABLE);
  store = new DynamoClusterStateStore(dynamo, TABLE);
});

async function rawItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const out = await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: marshall(key), ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

const PLAN: Plan = {
  kind: "failover",
  reason: "node db-a silent since 02:59:50Z",
  source: "db-a",
  sourceAlive: false,
  target: "db-b",
  epoch: 4,
  steps: [
    { kind: "fence", instanceId: "i-0a1b2c3d4e5f60001", onlyIfUnconfirmed: false },
    {
      kind: "upsert-record",
      resourceId: "dns",
      hostedZoneId: "Z0A1B2C3D4E5F6",
      name: "db.example.com",
      ttl: 10,
      instanceId: "i-0a1b2c3d4e5f60002",
      target: "private-ip",
    },
  ],
  stepIndex: 1,
  stepStartedAt: NOW - 500,
  attempts: 2,
  sourceUnconfirmed: false,
  fenced: true,
  startedAt: NOW - 4_000,
};

function group(groupId: string, version: number, changes: Partial<GroupRecord> = {}): GroupRecord {
  return { ...emptyGroupRecord(groupId, NOW), version, ...changes };
}

describe("DynamoClusterStateStore against DynamoDB (moto)", () => {
  describe("readSnapshot", () => {
    it("reads the heartbeat store's liveness, groups, the guard and the lease, ignoring other sort keys", async () => {
      // Prepare
      const bootId = randomUUID();
      await new DynamoHeartbeatStore(dynamo, TABLE).recordHeartbeat(
        { nodeId: "db-a", bootId, seq: 3, resources: { postgres: "online" } },
        NOW - 1_000,
        LEASE,
      );
      const moving = group("postgres", 1, {
        owner: "db-b",
        epoch: 4,
        status: "moving",
        statusReason: "failing over",
        plan: PLAN,
        failovers: [NOW - 4_000],
        failedOn: { "db-c": NOW - 5_000 },
        desired: { "pg-mount": "online", postgres: "online" },
      });
      await store.writeGroup(moving, 0);
      await store.writeGroup(group("reports", 1), 0);
      const guard: GuardRecord = {
        version: 1,
        frozen: true,
        since: NOW - 10,
        voters: { "db-a": { removedAt: null }, "db-b": { removedAt: NOW - 60_000 } },
      };
      await store.writeGuard(guard, 0);
      const lease = await store.acquireLease("controller-1", NOW, 30_000);
      await dynamo.send(
        new PutItemCommand({ TableName: TABLE, Item: marshall({ pk: "state", sk: "future#thing", x: 1 }) }),
      );
      // Act
      const snapshot = await store.readSnapshot();
      // Assess
      expect([...snapshot.liveness.values()]).toEqual([
        // The boot and sequence are read (a write may be conditioned on them); retired boots are not.
        {
          nodeId: "db-a",
          bootId,
          seq: 3,
          epochs: {},
          leaseMs: LEASE,
          leaseUntil: NOW - 1_000 + LEASE,
          receivedAt: NOW - 1_000,
          bootStartedAt: NOW - 1_000,
          resources: { postgres: "online" },
          leaving: false,
        },
      ]);
      expect(snapshot.groups.get("postgres")).toEqual(moving);
      expect(snapshot.groups.get("reports")).toEqual(group("reports", 1));
      expect(snapshot.groups.size).toBe(2);
      expect(snapshot.guard).toEqual(guard);
      expect(snapshot.lease).toEqual(lease);
      expect(snapshot.lease).toEqual({ holder: "controller-1", expiresAt: NOW + 30_000, version: 1 });
    });

    it("reads a node's leaving heartbeat as leaving, until its next heartbeat", async () => {
      // Prepare
      const heartbeats = new DynamoHeartbeatStore(dynamo, TABLE);
      const bootId = randomUUID();
      await heartbeats.recordHeartbeat(
        { nodeId: "db-a", bootId, seq: 3, resources: { postgres: "offline" }, leaving: true },
        NOW - 1_000,
        LEASE,
      );
      // Act
      const leaving = (await store.readSnapshot()).liveness.get("db-a");
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId: randomUUID(), seq: 0, resources: {} }, NOW, LEASE);
      const back = (await store.readSnapshot()).liveness.get("db-a");
      // Assess
      expect(leaving).toMatchObject({ resources: { postgres: "offline" }, leaving: true });
      expect(back).toMatchObject({ resources: {}, leaving: false });
    });

    it("reads back the epochs the agent obeyed, as the heartbeat store records them; none when a heartbeat has none", async () => {
      // Prepare
      const heartbeats = new DynamoHeartbeatStore(dynamo, TABLE);
      const bootId = randomUUID();
      await heartbeats.recordHeartbeat(
        { nodeId: "db-a", bootId, seq: 3, resources: { postgres: "offline" }, epochs: { postgres: 7, reports: 0 } },
        NOW - 1_000,
        LEASE,
      );
      // Act
      const withEpochs = (await store.readSnapshot()).liveness.get("db-a");
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId, seq: 4, resources: {} }, NOW, LEASE);
      const without = (await store.readSnapshot()).liveness.get("db-a");
      const raw = await rawItem(itemKeys.nodeLiveness("db-a"));
      // Assess
      expect(withEpochs).toMatchObject({ seq: 3, epochs: { postgres: 7, reports: 0 } });
      expect(without).toMatchObject({ seq: 4, epochs: {} });
      expect(raw).not.toHaveProperty("epochs");
    });

    it("keeps a node item of a node in 3 groups under 1 KB (one write unit)", async () => {
      // Prepare: 3 groups of 3 agent-side resources, an epoch for each, and a few restarts behind it.
      const heartbeats = new DynamoHeartbeatStore(dynamo, TABLE);
      const resources = Object.fromEntries(
        ["orders", "billing", "reports"].flatMap((g) =>
          ["mount", "service", "worker"].map((r) => [`${g}-${r}`, "online"]),
        ),
      ) as Record<string, "online">;
      const epochs = { orders: 1_234, billing: 56, reports: 7_890_123 };
      for (let boot = 0; boot < 4; boot++) {
        await heartbeats.recordHeartbeat({ nodeId: "node-01", bootId: randomUUID(), seq: 0, resources }, NOW, LEASE);
      }
      await heartbeats.recordHeartbeat(
        { nodeId: "node-01", bootId: randomUUID(), seq: 123_456, resources, epochs },
        NOW + 86_400_000,
        LEASE,
      );
      // Act
      const raw = (await rawItem(itemKeys.nodeLiveness("node-01")))!;
      // Assess
      expect(raw.epochs).toEqual(epochs);
      expect((raw.retiredBoots as unknown[]).length).toBe(4);
      const size = itemBytes(raw);
      const full = itemBytes({ ...raw, retiredBoots: Array.from({ length: 16 }, () => randomUUID()) });
      console.log(`node item, 3 groups, 9 resources: ${size} bytes with 4 retired boots, ${full} with 16`);
      expect(size).toBeLessThan(1_024);
    });

    it("records the lease each answer grants and never lowers its end, across boots, until a later one outlasts it", async () => {
      // Prepare: the old deploy grants 20 s; from NOW + 2 s the new deploy grants 10 s.
      const heartbeats = new DynamoHeartbeatStore(dynamo, TABLE);
      const [boot1, boot2] = [randomUUID(), randomUUID()];
      const lease = async () => {
        const node = (await store.readSnapshot()).liveness.get("db-a")!;
        return { seq: node.seq, receivedAt: node.receivedAt, leaseMs: node.leaseMs, leaseUntil: node.leaseUntil };
      };
      // Act
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId: boot1, seq: 1, resources: {} }, NOW, 20_000);
      const old = await lease();
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId: boot1, seq: 2, resources: {} }, NOW + 2_000, 10_000);
      const shorter = await lease();
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId: boot2, seq: 0, resources: {} }, NOW + 4_000, 10_000);
      const newBoot = await lease();
      await heartbeats.recordHeartbeat({ nodeId: "db-a", bootId: boot2, seq: 1, resources: {} }, NOW + 11_000, 10_000);
      const outlasted = await lease();
      // Assess: the answer to seq 2 (10 s, until NOW + 12 s) may be lost; the node may hold its 20 s lease to NOW + 20 s.
      expect(old).toEqual({ seq: 1, receivedAt: NOW, leaseMs: 20_000, leaseUntil: NOW + 20_000 });
      expect(shorter).toEqual({ seq: 2, receivedAt: NOW + 2_000, leaseMs: 20_000, leaseUntil: NOW + 20_000 });
      expect(newBoot).toEqual({ seq: 0, receivedAt: NOW + 4_000, leaseMs: 20_000, leaseUntil: NOW + 20_000 });
      expect(outlasted).toEqual({ seq: 1, receivedAt: NOW + 11_000, leaseMs: 10_000, leaseUntil: NOW + 21_000 });
    });

    it("answers an empty snapshot for an empty table", async () => {
      // Act
      const snapshot = await store.readSnapshot();
      // Assess
      expect(snapshot).toEqual({
        liveness: new Map(),
        groups: new Map(),
        guard: null,
        lease: null,
        intents: new Map(),
        admin: new Map(),
        judgedNodes: null,
      });
    });

    it("reads every page of a state partition larger than one Query page (1 MB)", async () => {
      // Prepare: 320 groups of about 4 KB each, about 1.3 MB in all.
      const padding = "x".repeat(4_000);
      const ids = Array.from({ length: 320 }, (_, i) => `g${String(i).padStart(3, "0")}`);
      for (let start = 0; start < ids.length; start += 25) {
        const items = ids.slice(start, start + 25).map((id) => ({
          PutRequest: {
            Item: marshall({ ...group(id, 1, { statusReason: `${id} ${padding}` }), ...itemKeys.groupState(id) }),
          },
        }));
        await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: items } }));
      }
      const send = vi.spyOn(dynamo, "send");
      // Act
      const snapshot = await store.readSnapshot();
      // Assess
      const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand);
      expect(queries.length).toBeGreaterThan(1);
      expect([...snapshot.groups.keys()].sort()).toEqual(ids);
      expect(snapshot.groups.get("g319")?.statusReason).toBe(`g319 ${padding}`);
    });

    it("turns a malformed group item into a cautious record instead of failing the pass", async () => {
      // Prepare
      await dynamo.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: marshall({
            ...itemKeys.groupState("postgres"),
            owner: "db-a",
            epoch: "three",
            plan: { kind: "failover" },
            desired: { postgres: "online", "pg-mount": "sideways" },
            failovers: [NOW, "later"],
          }),
        }),
      );
      await dynamo.send(
        new PutItemCommand({ TableName: TABLE, Item: marshall({ ...itemKeys.groupState("reports") }) }),
      );
      // Act
      const snapshot = await store.readSnapshot();
      // Assess
      expect(snapshot.groups.get("postgres")).toMatchObject({
        groupId: "postgres",
        version: 0,
        owner: "db-a",
        epoch: 0,
        status: "online",
        plan: null,
        failovers: [NOW],
        desired: { postgres: "online" },
      });
      expect(snapshot.groups.get("reports")).toMatchObject({
        groupId: "reports",
        version: 0,
        owner: null,
        status: "offline",
        plan: null,
        failovers: [],
        desired: {},
      });
    });

    it("reads a malformed node item cautiously: no usable receipt time is never heard (down), odd states dropped", async () => {
      // Prepare
      await dynamo.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: marshall({
            ...itemKeys.nodeLiveness("db-a"),
            receivedAt: "recently",
            resources: { postgres: "online", "pg-mount": "sideways", odd: 7 },
            leaving: "yes",
          }),
        }),
      );
      // Act
      const node = (await store.readSnapshot()).liveness.get("db-a");
      // Assess
      expect(node).toEqual({
        nodeId: "db-a",
        bootId: "",
        seq: -1,
        epochs: {},
        receivedAt: 0,
        bootStartedAt: 0,
        resources: { postgres: "online" },
        leaving: false,
      });
    });
  });

  describe("writeGroup", () => {
    it("creates the item with the documented attributes, leaving out a null owner and plan and empty lists", async () => {
      // Prepare
      const record = group("reports", 1, { statusReason: "never placed", desired: { "report-svc": "offline" } });
      // Act
      await store.writeGroup(record, 0);
      // Assess
      expect(await rawItem(itemKeys.groupState("reports"))).toEqual({
        pk: "state",
        sk: "group#reports",
        groupId: "reports",
        version: 1,
        epoch: 0,
        status: "offline",
        statusReason: "never placed",
        since: NOW,
        desired: { "report-svc": "offline" },
      });
      expect((await store.readSnapshot()).groups.get("reports")).toEqual(record);
    });

    it("keeps a failed plan's unfreed sources and a plan's per-node findings, and reads them back", async () => {
      // Prepare
      const plan = {
        ...PLAN,
        inheritedSources: ["office-1"],
        unconfirmedNodes: ["db-a"],
        fencedInstances: ["i-0a1b2c3d4e5f60001"],
        steps: [
          { kind: "fence" as const, instanceId: "i-0a1b2c3d4e5f60001", onlyIfUnconfirmed: false, nodeId: "db-a" },
        ],
      };
      const failed = group("postgres", 2, { owner: "db-b", epoch: 4, status: "failed", unconfirmedSources: ["db-a"] });
      // Act
      await store.writeGroup(group("postgres", 1, { owner: "db-b", epoch: 4, status: "moving", plan }), 0);
      const moving = (await store.readSnapshot()).groups.get("postgres");
      await store.writeGroup(failed, 1);
      // Assess
      expect(moving?.plan).toEqual(plan);
      expect(await rawItem(itemKeys.groupState("postgres"))).toMatchObject({ unconfirmedSources: ["db-a"] });
      expect((await store.readSnapshot()).groups.get("postgres")).toEqual(failed);
    });

    it("updates the item at the expected version, and removes the owner and plan when they become null", async () => {
      // Prepare
      await store.writeGroup(group("postgres", 1, { owner: "db-b", epoch: 4, status: "moving", plan: PLAN }), 0);
      // Act
      await store.writeGroup(group("postgres", 2, { epoch: 4, status: "offline", statusReason: "no node up" }), 1);
      // Assess
      const item = await rawItem(itemKeys.groupState("postgres"));
      expect(item).toMatchObject({ version: 2, epoch: 4, status: "offline", statusReason: "no node up" });
      expect(item).not.toHaveProperty("owner");
      expect(item).not.toHaveProperty("plan");
    });

    it.each([
      ["creating a group that exists", 0, 1],
      ["updating at a stale version", 1, 2],
      ["updating at a version not reached yet", 5, 6],
    ])("throws StateConflictError and leaves the item unchanged when %s", async (_case, expected, version) => {
      // Prepare
      await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1 }), 0);
      await store.writeGroup(group("postgres", 2, { owner: "db-a", epoch: 1, status: "online" }), 1);
      const before = await rawItem(itemKeys.groupState("postgres"));
      // Act
      const write = store.writeGroup(group("postgres", version, { owner: "db-b", epoch: 2 }), expected);
      // Assess
      await expect(write).rejects.toBeInstanceOf(StateConflictError);
      await expect(write).rejects.toHaveProperty("cause.name", "ConditionalCheckFailedException");
      expect(await rawItem(itemKeys.groupState("postgres"))).toEqual(before);
    });

    it("throws StateConflictError when updating a group that was never written", async () => {
      // Act
      const write = store.writeGroup(group("postgres", 4), 3);
      // Assess
      await expect(write).rejects.toBeInstanceOf(StateConflictError);
      expect(await rawItem(itemKeys.groupState("postgres"))).toBeUndefined();
    });

    it("refuses, before any call, a record whose version is not the expected version plus one", async () => {
      // Prepare
      const send = vi.spyOn(dynamo, "send");
      // Act
      const write = store.writeGroup(group("postgres", 3), 1);
      // Assess
      await expect(write).rejects.toThrow("must be 2");
      await expect(write).rejects.not.toBeInstanceOf(StateConflictError);
      expect(send).not.toHaveBeenCalled();
    });

    it("lets exactly one of two concurrent writes at the same version win", async () => {
      // Prepare
      await store.writeGroup(group("postgres", 1), 0);
      for (let round = 1; round <= 5; round++) {
        const takeA = group("postgres", round + 1, { owner: "db-a", epoch: round });
        const takeB = group("postgres", round + 1, { owner: "db-b", epoch: round });
        // Act
        const results = await Promise.allSettled([store.writeGroup(takeA, round), store.writeGroup(takeB, round)]);
        // Assess
        const won = results.filter((r) => r.status === "fulfilled");
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toBeInstanceOf(StateConflictError);
        const winner = results[0]?.status === "fulfilled" ? "db-a" : "db-b";
        expect(await rawItem(itemKeys.groupState("postgres"))).toMatchObject({ version: round + 1, owner: winner });
      }
    });

    describe("based on node reports (a transaction with a ConditionCheck per node item)", () => {
      /** db-a's heartbeat at `seq` of `bootId`, recorded by the heartbeat function's own store. */
      async function heartbeat(bootId: string, seq: number, resources: Record<string, "online" | "offline">) {
        await new DynamoHeartbeatStore(dynamo, TABLE).recordHeartbeat(
          { nodeId: "db-a", bootId, seq, resources },
          NOW + seq,
          LEASE,
        );
      }

      it("for a move on a node's silence (latest), fails with StateConflictError and changes nothing when a newer heartbeat replaced the report", async () => {
        // Prepare: the pass reads db-a's report (seq 3, offline); db-a then reports again (seq 4, online).
        const bootId = randomUUID();
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1, status: "online" }), 0);
        await heartbeat(bootId, 3, { postgres: "offline" });
        const report = (await store.readSnapshot()).liveness.get("db-a")!;
        await heartbeat(bootId, 4, { postgres: "online" });
        const before = await rawItem(itemKeys.groupState("postgres"));
        const nodeBefore = await rawItem(itemKeys.nodeLiveness("db-a"));
        // Act
        const write = store.writeGroup(group("postgres", 2, { owner: "db-b", epoch: 2, status: "moving" }), 1, [
          { nodeId: "db-a", bootId: report.bootId, seq: report.seq, latest: true },
        ]);
        // Assess
        await expect(write).rejects.toBeInstanceOf(StateConflictError);
        await expect(write).rejects.toThrow(/db-a/);
        await expect(write).rejects.toHaveProperty("cause.name", "TransactionCanceledException");
        expect(report).toMatchObject({ bootId, seq: 3 });
        expect(await rawItem(itemKeys.groupState("postgres"))).toEqual(before);
        expect(await rawItem(itemKeys.nodeLiveness("db-a"))).toEqual(nodeBefore);
      });

      it("for a confirmed stop, commits when the same boot has reported again since (what the report says holds for the boot)", async () => {
        // Prepare
        const bootId = randomUUID();
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1, status: "online" }), 0);
        await heartbeat(bootId, 3, { postgres: "offline" });
        const report = (await store.readSnapshot()).liveness.get("db-a")!;
        await heartbeat(bootId, 4, { postgres: "offline" });
        // Act
        await store.writeGroup(group("postgres", 2, { owner: "db-b", epoch: 2, status: "moving" }), 1, [
          { nodeId: "db-a", bootId: report.bootId, seq: report.seq },
        ]);
        // Assess
        expect((await store.readSnapshot()).groups.get("postgres")).toMatchObject({ owner: "db-b", epoch: 2 });
      });

      it("fails when the node restarted (new boot, lower seq) since the report", async () => {
        // Prepare
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1 }), 0);
        const oldBoot = randomUUID();
        await heartbeat(oldBoot, 9, { postgres: "offline" });
        await heartbeat(randomUUID(), 0, {});
        // Act
        const write = store.writeGroup(group("postgres", 2, { owner: "db-b", epoch: 2 }), 1, [
          { nodeId: "db-a", bootId: oldBoot, seq: 9 },
        ]);
        // Assess
        await expect(write).rejects.toBeInstanceOf(StateConflictError);
        expect(await rawItem(itemKeys.groupState("postgres"))).toMatchObject({ version: 1, owner: "db-a" });
      });

      it("fails when the node item does not exist", async () => {
        // Act
        const write = store.writeGroup(group("postgres", 1, { owner: "db-b", epoch: 1 }), 0, [
          { nodeId: "db-a", bootId: randomUUID(), seq: 0 },
        ]);
        // Assess
        await expect(write).rejects.toBeInstanceOf(StateConflictError);
        expect(await rawItem(itemKeys.groupState("postgres"))).toBeUndefined();
      });

      it("commits when every report is unchanged, and leaves the node items as they were", async () => {
        // Prepare
        const bootId = randomUUID();
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1, status: "online" }), 0);
        await heartbeat(bootId, 3, { postgres: "offline" });
        await new DynamoHeartbeatStore(dynamo, TABLE).recordHeartbeat(
          { nodeId: "db-b", bootId, seq: 7, resources: {} },
          NOW,
          LEASE,
        );
        const nodeBefore = await rawItem(itemKeys.nodeLiveness("db-a"));
        const moving = group("postgres", 2, { owner: "db-b", epoch: 2, status: "moving", plan: PLAN });
        // Act
        await store.writeGroup(moving, 1, [
          { nodeId: "db-a", bootId, seq: 3 },
          { nodeId: "db-b", bootId, seq: 7 },
        ]);
        // Assess
        expect((await store.readSnapshot()).groups.get("postgres")).toEqual(moving);
        expect(await rawItem(itemKeys.nodeLiveness("db-a"))).toEqual(nodeBefore);
      });

      it("creates the group item (expected version 0) on an unchanged report", async () => {
        // Prepare
        const bootId = randomUUID();
        await heartbeat(bootId, 1, {});
        // Act
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1 }), 0, [
          { nodeId: "db-a", bootId, seq: 1 },
        ]);
        // Assess
        expect(await rawItem(itemKeys.groupState("postgres"))).toMatchObject({ version: 1, owner: "db-a" });
      });

      it("fails with StateConflictError naming the group's version when only the version moved", async () => {
        // Prepare
        const bootId = randomUUID();
        await store.writeGroup(group("postgres", 1, { owner: "db-a", epoch: 1 }), 0);
        await store.writeGroup(group("postgres", 2, { owner: "db-a", epoch: 1, status: "online" }), 1);
        await heartbeat(bootId, 3, { postgres: "offline" });
        const before = await rawItem(itemKeys.groupState("postgres"));
        // Act
        const write = store.writeGroup(group("postgres", 2, { owner: "db-b", epoch: 2 }), 1, [
          { nodeId: "db-a", bootId, seq: 3 },
        ]);
        // Assess
        await expect(write).rejects.toBeInstanceOf(StateConflictError);
        await expect(write).rejects.toThrow(/version is no longer 1/);
        expect(await rawItem(itemKeys.groupState("postgres"))).toEqual(before);
      });

      it("uses one TransactWriteItems call with a report, and one PutItem without (the cheaper write)", async () => {
        // Prepare
        const bootId = randomUUID();
        await heartbeat(bootId, 3, {});
        const send = vi.spyOn(dynamo, "send");
        // Act
        await store.writeGroup(group("postgres", 1), 0);
        await store.writeGroup(group("postgres", 2), 1, []);
        await store.writeGroup(group("postgres", 3), 2, [{ nodeId: "db-a", bootId, seq: 3 }]);
        // Assess
        expect(send.mock.calls.map(([command]) => command.constructor.name)).toEqual([
          "PutItemCommand",
          "PutItemCommand",
          "TransactWriteItemsCommand",
        ]);
      });
    });

    it("reports a missing table as AwsUnavailableError, never as a conflict", async () => {
      // Prepare
      const broken = new DynamoClusterStateStore(dynamo, "no-such-table");
      // Act
      const write = broken.writeGroup(group("postgres", 1), 0);
      // Assess
      await expect(write).rejects.toMatchObject({ name: "AwsUnavailableError", operation: "DynamoDB PutItem" });
      await expect(broken.readSnapshot()).rejects.toMatchObject({ name: "AwsUnavailableError" });
    });
  });

  describe("writeGuard", () => {
    it("creates, updates at the expected version, and refuses a stale version", async () => {
      // Prepare
      const first: GuardRecord = { version: 1, frozen: false, since: NOW, voters: { "db-a": { removedAt: null } } };
      const second: GuardRecord = { ...first, version: 2, frozen: true, since: NOW + 1 };
      // Act
      await store.writeGuard(first, 0);
      await store.writeGuard(second, 1);
      const stale = store.writeGuard({ ...first, version: 2 }, 1);
      // Assess
      await expect(stale).rejects.toBeInstanceOf(StateConflictError);
      expect(await rawItem(itemKeys.guard)).toEqual({ ...itemKeys.guard, ...second, voters: '{"db-a":null}' });
      expect((await store.readSnapshot()).guard).toEqual(second);
    });
  });

  describe("writeJudgedNodes", () => {
    it("creates, updates at the expected version, refuses a stale version, and reads back what it wrote", async () => {
      // Prepare
      const first: JudgedNodes = { version: 1, nodes: { "db-a": { state: "up", bootId: "boot-1", since: NOW } } };
      const second: JudgedNodes = {
        version: 2,
        nodes: {
          "db-a": { state: "down", bootId: "boot-1", since: NOW + 5 },
          "db-b": { state: "leaving", bootId: "boot-2", since: NOW + 5 },
        },
      };
      // Act
      await store.writeJudgedNodes(first, 0);
      await store.writeJudgedNodes(second, 1);
      const stale = store.writeJudgedNodes({ ...first, version: 2 }, 1);
      // Assess
      await expect(stale).rejects.toBeInstanceOf(StateConflictError);
      expect(await rawItem(itemKeys.judgedNodes)).toEqual({
        ...itemKeys.judgedNodes,
        version: 2,
        nodes: `{"db-a":["down","boot-1",${NOW + 5}],"db-b":["leaving","boot-2",${NOW + 5}]}`,
      });
      expect((await store.readSnapshot()).judgedNodes).toEqual(second);
    });
  });

  describe("acquireLease", () => {
    it("gives the lease to the first holder, refuses a second while valid, and hands it over after expiry", async () => {
      // Act
      const first = await store.acquireLease("controller-1", NOW, 10_000);
      const refused = await store.acquireLease("controller-2", NOW + 9_999, 10_000);
      const atExpiry = await store.acquireLease("controller-2", NOW + 10_000, 10_000);
      const taken = await store.acquireLease("controller-2", NOW + 10_001, 10_000);
      // Assess
      expect(first).toEqual({ holder: "controller-1", expiresAt: NOW + 10_000, version: 1 });
      expect(refused).toBeNull();
      expect(atExpiry).toBeNull();
      expect(taken).toEqual({ holder: "controller-2", expiresAt: NOW + 20_001, version: 2 });
      expect(await rawItem(itemKeys.controllerLease)).toMatchObject({ holder: "controller-2", version: 2 });
    });

    it("renews the lease for its holder before it expires", async () => {
      // Prepare
      await store.acquireLease("controller-1", NOW, 10_000);
      // Act
      const renewed = await store.acquireLease("controller-1", NOW + 2_000, 10_000);
      // Assess
      expect(renewed).toEqual({ holder: "controller-1", expiresAt: NOW + 12_000, version: 2 });
    });

    it("gives the lease to exactly one of two concurrent candidates", async () => {
      // Act
      const results = await Promise.all([
        store.acquireLease("controller-1", NOW, 10_000),
        store.acquireLease("controller-2", NOW, 10_000),
      ]);
      // Assess
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });
  });

  describe("appendLog", () => {
    it("writes each entry under its day's partition with its fields and a TTL in epoch seconds", async () => {
      // Prepare
      const entry: ClusterLogEntry = {
        at: NOW + 123,
        groupId: "postgres",
        epoch: 4,
        event: "step",
        step: "fence",
        outcome: "done",
        durationMs: 850,
        detail: "i-0a1b2c3d4e5f60001 stopped",
      };
      const clusterWide: ClusterLogEntry = {
        at: NOW,
        groupId: null,
        epoch: null,
        event: "guard-frozen",
        outcome: "frozen",
      };
      // Act
      await store.appendLog([entry, clusterWide]);
      // Assess
      const items = await logItems("log#2026-11-22");
      expect(items).toHaveLength(2);
      const [wide, step] = items;
      expect(wide?.sk).toMatch(/^2026-11-22T03:00:00\.000Z#-#/);
      expect(wide).toEqual({
        pk: "log#2026-11-22",
        sk: wide?.sk,
        at: NOW,
        event: "guard-frozen",
        outcome: "frozen",
        expiresAt: NOW / 1000 + LOG_RETENTION_DAYS * 86_400,
      });
      expect(step?.sk).toMatch(/^2026-11-22T03:00:00\.123Z#postgres#/);
      expect(step).toMatchObject({ ...entry, expiresAt: Math.floor((NOW + 123) / 1000) + 30 * 86_400 });
    });

    it("writes 60 entries in chunks of at most 25, each under its own key", async () => {
      // Prepare
      const entries: ClusterLogEntry[] = Array.from({ length: 60 }, (_, i) => ({
        at: NOW,
        groupId: "postgres",
        epoch: 1,
        event: "step",
        outcome: `n${i}`,
      }));
      const send = vi.spyOn(dynamo, "send");
      // Act
      await store.appendLog(entries);
      // Assess
      const batches = send.mock.calls.filter(([command]) => command instanceof BatchWriteItemCommand);
      expect(batches).toHaveLength(3);
      const items = await logItems("log#2026-11-22");
      expect(items.map((item) => item.outcome)).toEqual(entries.map((e) => e.outcome));
    });

    it("makes no call for an empty list", async () => {
      // Prepare
      const send = vi.spyOn(dynamo, "send");
      // Act
      await store.appendLog([]);
      // Assess
      expect(send).not.toHaveBeenCalled();
    });
  });
});

async function logItems(pk: string): Promise<Record<string, unknown>[]> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: marshall({ ":pk": pk }),
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => unmarshall(item));
}

/**
 * An item's size as DynamoDB counts it for write units (its documented rule): attribute names plus values;
 * a string its UTF-8 bytes, a number 1 byte per two significant digits plus 1, a boolean or null 1 byte,
 * a list or map 3 bytes plus 1 per element plus its elements (and, for a map, their names).
 */
function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number") return Math.ceil(String(Math.abs(value)).replace(/^0+|\./g, "").length / 2) + 1;
  if (typeof value === "boolean" || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueBytes(v), 0);
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce((sum: number, v) => sum + valueBytes(v), 0);
  const map = value as Record<string, unknown>;
  return 3 + Object.entries(map).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
}
