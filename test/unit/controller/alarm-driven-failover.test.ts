import { describe, expect, it } from "vitest";
import type { ClusterDefinition } from "../../../lib/core/definition/types.js";
import { createControllerHandler } from "../../../lib/handlers/controller.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { EXAMPLE_EC2 } from "../../support/fakes/ec2.js";
import { Simulation } from "../../support/simulation.js";

// Alarm-driven failover through the real handler: an EventBridge "CloudWatch Alarm State Change" for an alarm that
// postgres names in failoverOn moves postgres off the node the alarm is about, now, through the fenced path (a new
// epoch, the old owner told to stop before anything moves), counted against the threshold and logged with the alarm.

const ALARM = "db-a-status-check";

function definition(): ClusterDefinition {
  const base = exampleDefinition();
  return {
    ...base,
    groups: base.groups.map((g) => (g.id === "postgres" ? { ...g, failoverOn: [{ alarm: ALARM, node: null }] } : g)),
  };
}

/** EventBridge's event for an alarm on one instance's metric (EC2 StatusCheckFailed_System). */
function alarmEvent(state: string, instanceId: string, alarmName = ALARM) {
  return {
    version: "0",
    source: "aws.cloudwatch",
    "detail-type": "CloudWatch Alarm State Change",
    time: "2026-11-22T12:01:00Z",
    region: "us-east-1",
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason: "Threshold Crossed", timestamp: "2026-11-22T12:01:00.000+0000" },
      configuration: {
        metrics: [
          {
            id: "m",
            metricStat: {
              metric: {
                namespace: "AWS/EC2",
                name: "StatusCheckFailed_System",
                dimensions: { InstanceId: instanceId },
              },
              period: 60,
              stat: "Maximum",
            },
          },
        ],
      },
    },
  };
}

async function setup() {
  const sim = new Simulation({ definition: definition() });
  const handler = createControllerHandler({
    passDependencies: (holder) => sim.dependencies(holder),
    metrics: {
      addMetric: () => undefined,
      publishStoredMetrics: () => undefined,
      singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
    },
    detailedMetrics: true,
    eventBus: { publish: () => Promise.resolve() },
    sleep: (ms) => sim.advance(ms, { passes: false }),
  });
  // Placed and online: postgres on db-a (epoch 1).
  await sim.advance(60_000);
  const invoke = (event: unknown) => {
    const deadline = sim.now + 70_000;
    return handler(event, { awsRequestId: `alarm-${sim.now}`, getRemainingTimeInMillis: () => deadline - sim.now });
  };
  return { sim, invoke };
}

describe("alarm-driven failover", () => {
  it("moves the group off the node the alarm is about, now, under a new epoch, counted and logged with the alarm", async () => {
    // Prepare
    const { sim, invoke } = await setup();
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
    const decidedAt = sim.now;
    // Act: db-a's status check alarm enters ALARM; db-a still heartbeats.
    const result = await invoke(alarmEvent("ALARM", EXAMPLE_EC2.dbA));
    // Assess: moved at the invocation's first pass, and online on db-b by its end.
    expect(result).toMatchObject({ alarm: { name: ALARM, state: "ALARM", moved: ["postgres"] } });
    const group = sim.store.groups.get("postgres")!;
    expect(group).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(group.failovers).toEqual([decidedAt]);
    expect(group.failedOn).toEqual({ "db-a": decidedAt });
    const started = sim.store.log.find((e) => e.event === "failover-started" && e.epoch === 2)!;
    expect(started).toMatchObject({ groupId: "postgres", outcome: "db-a -> db-b" });
    expect(started.detail).toContain(`alarm ${ALARM} is in ALARM`);
    // The fenced path: db-a's agent was told to stop (await-offline) before the volume moved to db-b.
    const steps = sim.store.log.filter((e) => e.event === "step" && e.epoch === 2).map((e) => e.step);
    const awaitOffline = steps.findIndex((s) => s?.startsWith("await-offline") === true);
    const attach = steps.findIndex((s) => s?.startsWith("attach-volume") === true);
    expect(awaitOffline).toBeGreaterThanOrEqual(0);
    expect(attach).toBeGreaterThan(awaitOffline);
    expect(sim.ec2.violations).toEqual([]);
  });

  it("does nothing when the alarm is about a node that does not own the group", async () => {
    // Prepare
    const { sim, invoke } = await setup();
    // Act: the same alarm, but on db-b's instance (postgres is on db-a).
    const result = await invoke(alarmEvent("ALARM", EXAMPLE_EC2.dbB));
    // Assess
    expect(result).toMatchObject({ alarm: { name: ALARM, moved: [] } });
    expect(sim.store.groups.get("postgres")).toMatchObject({
      owner: "db-a",
      epoch: 1,
      status: "online",
      failovers: [],
    });
  });

  it.each([
    ["returns to OK", alarmEvent("OK", EXAMPLE_EC2.dbA)],
    ["is not one the group names", alarmEvent("ALARM", EXAMPLE_EC2.dbA, "someone-elses-alarm")],
  ])("does nothing when the alarm %s", async (_case, event) => {
    // Prepare
    const { sim, invoke } = await setup();
    // Act
    await invoke(event);
    // Assess
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
  });

  it("leaves the group failed when the move would pass its failover threshold", async () => {
    // Prepare: postgres has already failed over as often as its threshold allows within the period.
    const { sim, invoke } = await setup();
    const record = sim.store.groups.get("postgres")!;
    const threshold = definition().groups.find((g) => g.id === "postgres")!.failover.threshold;
    sim.store.groups.set("postgres", { ...record, failovers: Array<number>(threshold).fill(sim.now - 1_000) });
    // Act
    await invoke(alarmEvent("ALARM", EXAMPLE_EC2.dbA));
    // Assess
    expect(sim.store.groups.get("postgres")).toMatchObject({ owner: "db-a", status: "failed" });
    expect(sim.store.groups.get("postgres")!.statusReason).toContain(`alarm ${ALARM} is in ALARM`);
  });
});
