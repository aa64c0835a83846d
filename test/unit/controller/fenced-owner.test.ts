import { describe, expect, it } from "vitest";
import { assessNodes } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { emptyGroupRecord, type GroupRecord, type NodeReport } from "../../../lib/core/controller/records.js";
import type { ResourceState } from "../../../lib/core/heartbeat/message.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { Simulation } from "../../support/simulation.js";

// An owner whose resources are `fenced` has lost them: its agent stopped them on losing its lease and will not
// start them again under the epoch it knows. It is alive (its heartbeats arrive; its answers do not), so
// nothing else would move the group: the controller must (issue 8, 1.5).

const definition = exampleDefinition();
const reports = definition.groups.find((g) => g.id === "reports")!;
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function node(nodeId: string, resources: Record<string, ResourceState>): NodeReport {
  return {
    nodeId,
    bootId: "b1",
    seq: 4,
    receivedAt: NOW - 1_000,
    bootStartedAt: NOW - 3_600_000,
    resources,
    leaving: false,
    // Told of every group it may own (db-b may own postgres too): its answers arrive.
    epochs: { postgres: 1, reports: 3 },
  };
}

const onlineOnOffice: GroupRecord = {
  ...emptyGroupRecord("reports", NOW - 3_600_000),
  version: 5,
  owner: "office-1",
  epoch: 3,
  status: "online",
  statusReason: "",
  desired: { "report-svc": "online" },
};

describe("an owner that reports its resources fenced", () => {
  it("is up, and its fenced resources are told apart from failed ones", () => {
    // Act
    const health = assessNodes(
      definition,
      new Map([["office-1", node("office-1", { "report-svc": "fenced", other: "failed" })]]),
      NOW,
    );
    // Assess
    expect(health.get("office-1")).toMatchObject({
      up: true,
      fencedResources: ["report-svc"],
      failedResources: ["other"],
    });
  });

  it("loses the group: it moves to the next preferred node, the source alive (its fenced report confirms the stop)", () => {
    // Prepare
    const liveness = new Map([
      ["office-1", node("office-1", { "report-svc": "fenced" })],
      ["db-b", node("db-b", {})],
    ]);
    // Act
    const decision = decideGroup({
      definition,
      group: reports,
      record: onlineOnOffice,
      health: assessNodes(definition, liveness, NOW),
      frozen: false,
      now: NOW,
    });
    // Assess: and no failback to office-1 within the failover period, else, up as it looks, it would be
    // chosen again at once while its answers are still lost.
    expect(decision).toMatchObject({
      kind: "write",
      record: {
        owner: "db-b",
        epoch: 4,
        status: "moving",
        failedOn: { "office-1": NOW },
        plan: { kind: "failover", source: "office-1", sourceAlive: true, target: "db-b" },
      },
    });
  });

  it("moves a fencing:none group to the healthy node within seconds of a one-way partition", async () => {
    // Prepare: reports placed on office-1 (lease 10 s, heartbeat 2 s, tick 2 s).
    const sim = new Simulation();
    await sim.advance(30_000);
    expect(sim.store.groups.get("reports")).toMatchObject({ owner: "office-1", status: "online", epoch: 1 });
    const partitioned = sim.now;
    sim.answersLost.set("office-1", partitioned);
    // Act: office-1 self-fences at 9.5 s (lease − 500 ms); give the move 30 s, far below report-svc's
    // 180 s pending timeout, the old code's only way out (which then left the group failed).
    await sim.advance(30_000);
    // Assess
    expect(sim.store.groups.get("reports")).toMatchObject({ owner: "db-b", epoch: 2, status: "online", plan: null });
    expect(sim.store.liveness.get("db-b")?.resources).toMatchObject({ "report-svc": "online" });
    const started = sim.store.log.find(
      (e) => e.event === "failover-started" && e.groupId === "reports" && e.epoch === 2,
    )!;
    expect(started.at - partitioned).toBeGreaterThanOrEqual(9_500);
    expect(started.at - partitioned).toBeLessThanOrEqual(9_500 + 2_000 + 2_000);
  });
});
