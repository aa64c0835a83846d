import { beforeAll, describe, expect, it } from "vitest";
import { type Harness, invocationContext, startHarness } from "./support/controller-harness.js";
import { worldState } from "./support/world-state.js";

// Alarm-driven failover and the state metrics through the real controller function (lambdas/controller.ts) over
// moto: an EventBridge "CloudWatch Alarm State Change" for the alarm postgres names moves postgres off db-a at once,
// through the fenced path (a new epoch; db-a, which does not confirm the stop, is stopped before the volume, address
// and record move), counted against the threshold and noted in the cluster log with the alarm's name.

const ALARM = "db-a-status-check";
let h: Harness;
let state: ReturnType<typeof worldState>;
let builtAt: number;

beforeAll(async () => {
  builtAt = Date.now();
  h = await startHarness((document) => {
    const groups = document.groups as Record<string, unknown>[];
    groups.find((g) => g.id === "postgres")!.failoverOn = [ALARM];
  });
  state = worldState(h.world);
  await h.driveUntil(["db-a", "db-b", "office-1"], async () => (await state.group("postgres"))?.status === "online");
});

function alarmEvent(instanceId: string) {
  return {
    version: "0",
    source: "aws.cloudwatch",
    "detail-type": "CloudWatch Alarm State Change",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`],
    detail: {
      alarmName: ALARM,
      state: { value: "ALARM", reason: "Threshold Crossed", timestamp: new Date().toISOString() },
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

/** One alarm invocation with the function's real timeout is a minute long: the test gives it a short one. */
function shortContext(requestId: string, ms: number) {
  const deadline = Date.now() + ms;
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => deadline - Date.now() };
}

describe("alarm-driven failover against moto", () => {
  it("does nothing for the alarm on db-b's instance: db-b does not own postgres", async () => {
    // Act: 8 s left: one pass fits (5 s estimate + 2 s margin), not a second.
    const result = await h.controller(alarmEvent(h.world.instances["db-b"]), shortContext("alarm-b", 8_000));
    // Assess
    expect(result).toMatchObject({ alarm: { name: ALARM, state: "ALARM", moved: [] } });
    expect(await state.group("postgres")).toMatchObject({ owner: "db-a", epoch: 1, status: "online" });
  });

  it("moves postgres off db-a now, under a new epoch, logged with the alarm's name", async () => {
    // Act
    const result = await h.controller(alarmEvent(h.world.instances["db-a"]), shortContext("alarm-a", 8_000));
    // Assess: the decision, written by the first pass, conditioned on the record's version.
    expect(result).toMatchObject({ alarm: { name: ALARM, moved: ["postgres"] } });
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "moving" });
    // The impaired host then falls silent (these test agents do not confirm a stop under an epoch): db-a, which
    // had not confirmed postgres offline, is fenced (stopped) before the volume, address and record move to db-b.
    await h.driveUntil(["db-b", "office-1"], async () => (await state.group("postgres"))?.status === "online", {
      withinMs: 30_000,
      everyMs: 250,
    });
    expect((await state.instance(h.world.instances["db-a"])).State?.Name).toBe("stopped");
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", epoch: 2, status: "online" });
    expect(await state.volumeAttachments()).toEqual([[h.world.instances["db-b"], "/dev/xvdf"]]);
    expect(await state.addressInstance()).toBe(h.world.instances["db-b"]);
    expect((await state.group("postgres"))!.failovers).toHaveLength(1);
    const entries = await state.logEntries(builtAt);
    const started = entries.find((e) => e.event === "failover-started" && e.epoch === 2);
    expect(started).toMatchObject({ groupId: "postgres", outcome: "db-a -> db-b" });
    expect(String(started!.detail)).toContain(`alarm ${ALARM} is in ALARM`);
    const fence = entries.findIndex((e) => e.event === "step" && e.epoch === 2 && String(e.step).startsWith("fence"));
    const attach = entries.findIndex(
      (e) => e.event === "step" && e.epoch === 2 && String(e.step).startsWith("attach-volume"),
    );
    expect(fence).toBeGreaterThanOrEqual(0);
    expect(Number(entries[attach]!.at)).toBeGreaterThanOrEqual(Number(entries[fence]!.at));
  });

  it("reports the state metrics on idle passes (the handler's answer carries the gauges it emitted)", async () => {
    // Act: two idle passes (db-a stopped: down).
    const result = await h.controller({ passes: 2 }, invocationContext("idle"));
    // Assess
    expect(result).toMatchObject({
      passes: 2,
      events: [],
      gauges: { guardFrozen: 0, groupsFailed: 0, groupsOnline: 2, nodesUp: 2, nodesDown: 1, nodeDown: { "db-a": 1 } },
    });
  });
});
