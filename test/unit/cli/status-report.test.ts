import { describe, expect, it } from "vitest";
import { renderStatus } from "../../../lib/cli/commands/status.js";
import { statusReport } from "../../../lib/cli/status-report.js";
import type { ClusterSnapshot, GroupRecord, NodeReport, Plan } from "../../../lib/core/controller/records.js";
import { exampleDefinition } from "../../support/example-cluster.js";

const NOW = Date.parse("2026-11-30T12:00:00Z");

function report(nodeId: string, fields: Partial<NodeReport> = {}): NodeReport {
  return {
    nodeId,
    bootId: `boot-${nodeId}`,
    seq: 7,
    receivedAt: NOW - 1_000,
    bootStartedAt: NOW - 60_000,
    resources: {},
    leaving: false,
    epochs: {},
    leaseMs: 10_000,
    leaseUntil: NOW - 1_000 + 10_000,
    ...fields,
  };
}

function group(groupId: string, fields: Partial<GroupRecord> = {}): GroupRecord {
  return {
    groupId,
    version: 3,
    owner: "db-a",
    epoch: 2,
    status: "online",
    statusReason: "all resources online on db-a",
    since: NOW - 3_600_000,
    plan: null,
    failovers: [],
    failedOn: {},
    desired: {},
    ...fields,
  };
}

function snapshot(parts: Partial<ClusterSnapshot> & Record<string, unknown>): ClusterSnapshot {
  return { liveness: new Map(), groups: new Map(), guard: null, lease: null, ...parts };
}

const options = { cluster: "orders-db", table: "t", now: NOW, definition: null };

describe("status report: node states", () => {
  it("up within lease + grace of its last heartbeat (10s lease: grace 2s), down one millisecond later", () => {
    const heard = report("db-a", { receivedAt: NOW - 12_000, leaseUntil: NOW - 12_000 + 10_000 });
    const at = (now: number) =>
      statusReport(snapshot({ liveness: new Map([["db-a", heard]]) }), { ...options, now }).nodes[0]!.state;
    expect(at(NOW)).toBe("up");
    expect(at(NOW + 1)).toBe("down");
  });

  it("a longer lease recorded with the node (leaseUntil) is waited out, with the grace of that lease (60s: 12s)", () => {
    const heard = report("db-a", { receivedAt: NOW - 1_000, leaseMs: 60_000, leaseUntil: NOW - 1_000 + 60_000 });
    const at = (now: number) =>
      statusReport(snapshot({ liveness: new Map([["db-a", heard]]) }), {
        ...options,
        now,
        definition: exampleDefinition(),
      }).nodes.find((n) => n.id === "db-a")!.state;
    expect(at(NOW - 1_000 + 60_000 + 12_000)).toBe("up");
    expect(at(NOW - 1_000 + 60_000 + 12_001)).toBe("down");
  });

  it("leaving, drained, unknown, and the definition's nodes never heard", () => {
    const r = statusReport(
      snapshot({
        liveness: new Map([
          ["db-a", report("db-a", { leaving: true })],
          ["db-b", report("db-b")],
          ["old-1", report("old-1")],
        ]),
        admin: new Map([
          ["db-b", { nodeId: "db-b", drained: true, failback: false, by: "arn:aws:iam::1:user/op", at: NOW - 5 }],
        ]),
      }),
      { ...options, definition: exampleDefinition() },
    );
    expect(r.nodes.map((n) => [n.id, n.state, n.inDefinition])).toEqual([
      ["db-a", "leaving", true],
      ["db-b", "drained", true],
      ["office-1", "down", true],
      ["old-1", "down", false],
    ]);
    expect(r.nodes[1]!.admin).toEqual({ drained: true, failback: false, by: "arn:aws:iam::1:user/op", at: NOW - 5 });
    expect(r.nodes[2]).toMatchObject({ lastHeartbeatAt: null, heartbeatAgeMs: null, bootId: null });
    const noLease = report("db-a", { leaseMs: undefined, leaseUntil: undefined });
    expect(statusReport(snapshot({ liveness: new Map([["db-a", noLease]]) }), options).nodes[0]!.state).toBe("unknown");
  });
});

describe("status report: groups, moves, intents", () => {
  const plan: Plan = {
    kind: "failover",
    reason: "db-a is silent",
    source: "db-a",
    sourceAlive: false,
    target: "db-b",
    epoch: 3,
    steps: [
      { kind: "fence", instanceId: "i-1", onlyIfUnconfirmed: false, nodeId: "db-a" },
      { kind: "detach-volume", resourceId: "data", volumeId: "vol-1", instanceId: "i-1", nodeId: "db-a" },
      { kind: "attach-volume", resourceId: "data", volumeId: "vol-1", instanceId: "i-2", device: "/dev/xvdf" },
    ],
    stepIndex: 1,
    stepStartedAt: NOW - 4_000,
    attempts: 2,
    sourceUnconfirmed: false,
    fenced: true,
    startedAt: NOW - 9_000,
  };

  it("a moving group's step, how long it has run, and the move", () => {
    const r = statusReport(
      snapshot({
        groups: new Map([["postgres", group("postgres", { status: "moving", owner: "db-b", epoch: 3, plan })]]),
      }),
      options,
    );
    const step = {
      number: 2,
      of: 3,
      kind: "detach-volume",
      resourceId: "data",
      nodeId: "db-a",
      startedAt: NOW - 4_000,
      runningMs: 4_000,
      attempts: 2,
    };
    expect(r.groups[0]!.move).toEqual({
      kind: "failover",
      source: "db-a",
      target: "db-b",
      epoch: 3,
      reason: "db-a is silent",
      startedAt: NOW - 9_000,
      runningMs: 9_000,
      step,
      by: null,
      drill: false,
    });
    expect(r.moves).toEqual([{ group: "postgres", ...r.groups[0]!.move }]);
    const text = renderStatus(r);
    expect(text).toMatch(/^ {2}postgres +moving +db-b +3 +1h 00m +2\/3 detach-volume \(4\.0s\) +all resources/m);
    expect(text).toContain("  postgres: failover db-a -> db-b (epoch 3), started 9.0s ago; db-a is silent");
    expect(text).toContain("    step 2/3 detach-volume data on db-a, running for 4.0s (2 attempts)");
  });

  it("a group of the definition never written is offline, not placed yet", () => {
    const r = statusReport(snapshot({}), { ...options, definition: exampleDefinition() });
    expect(r.groups.map((g) => [g.id, g.status, g.since])).toEqual([
      ["postgres", "offline", null],
      ["reports", "offline", null],
    ]);
  });

  it("operator intents, and the operator who started a drill", () => {
    const drill = {
      ...plan,
      kind: "failback" as const,
      operator: { intentId: "i-9", by: "arn:aws:iam::1:user/op", drill: true },
    };
    const r = statusReport(
      snapshot({
        groups: new Map([["postgres", group("postgres", { status: "moving", plan: drill })]]),
        intents: new Map([
          [
            "postgres",
            {
              groupId: "postgres",
              id: "i-9",
              action: "move",
              target: "db-b",
              drill: true,
              by: "arn:aws:iam::1:user/op",
              at: NOW - 2_000,
              state: "taken",
              reason: "plan started",
              epoch: 3,
            },
          ],
        ]),
      }),
      options,
    );
    expect(r.moves[0]).toMatchObject({ by: "arn:aws:iam::1:user/op", drill: true });
    expect(r.intents).toEqual([
      {
        group: "postgres",
        id: "i-9",
        action: "move",
        target: "db-b",
        drill: true,
        by: "arn:aws:iam::1:user/op",
        at: NOW - 2_000,
        state: "taken",
        reason: "plan started",
      },
    ]);
    const text = renderStatus(r);
    expect(text).toContain(
      "  postgres: drill failback db-a -> db-b (epoch 3), started 9.0s ago by arn:aws:iam::1:user/op;",
    );
    expect(text).toContain(
      "Operator intents\n  none pending\n  postgres: drill to db-b by arn:aws:iam::1:user/op, 2.0s ago: taken (plan started)",
    );
  });
});
