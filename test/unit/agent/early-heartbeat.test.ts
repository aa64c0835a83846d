/**
 * The agent reports a change at once instead of at the next interval: when a resource settles (online, offline,
 * failed, fenced) in a state other than the last heartbeat reported, and nothing of its group is under way any
 * more, it heartbeats now, at most once early per heartbeat interval (2 s here, TIMING), so a resource that flaps
 * costs at most one extra heartbeat an interval (docs/cost.md).
 */
import { describe, expect, it } from "vitest";
import { Agent } from "../../../lib/agent/agent.js";
import { earlyHeartbeatDue } from "../../../lib/core/agent/early-heartbeat.js";
import { FakeDrivers, FakeLog, FakeTime, FakeTransport, fakePorts, type Answerer } from "./fakes.js";
import { answerBody, PG_SPECS, REPORTS, TIMING, wireGroup, type WireGroup } from "./fixture.js";
import { Harness } from "./harness.js";

const INTERVAL = TIMING.heartbeatIntervalMs; // 2 s
const LATENCY = 50; // FakeTransport's default: an answer arrives 50 ms after its heartbeat
const START = 100; // FakeDrivers' default: a start or stop takes 100 ms

function world() {
  const time = new FakeTime();
  const transport = new FakeTransport(time);
  const drivers = new FakeDrivers(time);
  const agent = new Agent("db-a", fakePorts(time, transport, drivers, new FakeLog()));
  return { time, transport, drivers, agent };
}

const answering =
  (groups: () => readonly WireGroup[]): Answerer =>
  (body) => ({ status: 200, body: answerBody(body, groups()) });

describe("Agent: a heartbeat at once when a resource settles", () => {
  it("reports a whole run of starts as soon as its last resource is up, not at the next interval", async () => {
    // Prepare: one answer asks for pg-mount, postgres and exporter (each depending on the one before).
    const { time, transport, agent } = world();
    transport.answerer = answering(() => [wireGroup("postgres", PG_SPECS, "db-a", 3)]);
    // Act
    agent.start();
    await time.advance(5_000);
    // Assess: the answer at 50 ms; the three starts one after another (no further answer needed), all up at
    // 50 + 3 × 100 = 350 ms, reported then; the next heartbeats an interval after that one.
    const upAt = LATENCY + 3 * START;
    expect(transport.sent.map((s) => s.at)).toEqual([0, upAt, upAt + INTERVAL, upAt + 2 * INTERVAL]);
    expect(transport.sent[1]?.body.resources).toEqual({ "pg-mount": "online", postgres: "online", exporter: "online" });
  });

  it("sends at most one early heartbeat per interval, however often a resource changes", async () => {
    // Prepare: every answer flips what the controller wants of `reports`, so it settles anew after each answer.
    const { time, transport, agent } = world();
    let n = 0;
    transport.answerer = answering(() => [
      wireGroup("reports", [REPORTS], "db-a", 1, ++n % 2 === 1 ? "online" : "offline"),
    ]);
    // Act
    agent.start();
    await time.advance(20_000);
    // Assess: in any window of one interval, the scheduled heartbeat and at most one early one.
    const at = transport.sent.map((s) => s.at);
    const crowded = at.filter((t) => at.filter((u) => u >= t && u < t + INTERVAL).length > 2);
    expect(crowded).toEqual([]);
    // And early heartbeats were sent (the bound is what held them back): more than one per interval over 20 s.
    expect(at.length).toBeGreaterThan(20_000 / INTERVAL + 1);
  });
});

describe("earlyHeartbeatDue", () => {
  /** db-a started postgres on one answer at 0 and everything is up at 300 ms; the last heartbeat said offline. */
  function started(): Harness {
    return new Harness()
      .answer([wireGroup("postgres", PG_SPECS, "db-a", 3)])
      .settleAll()
      .at(300);
  }
  const offline = { "pg-mount": "offline", postgres: "offline", exporter: "offline" } as const;

  it("is due once the group is up and the last heartbeat said otherwise; one interval after the last early one", () => {
    // Prepare
    const h = started();
    const due = (lastEarlyAt: number | undefined) =>
      earlyHeartbeatDue({ state: h.state, report: h.report, sent: offline, lastEarlyAt, now: 300 });
    // Assess: an early heartbeat 300 − 2000 ms before is a whole interval ago; 1 ms later is not.
    expect(due(undefined)).toBe(true);
    expect(due(300 - INTERVAL)).toBe(true);
    expect(due(300 - INTERVAL + 1)).toBe(false);
  });

  it("is not due while a start of the group is under way, nor when the report has not changed", () => {
    // Prepare: pg-mount is up, postgres is starting.
    const h = new Harness().answer([wireGroup("postgres", PG_SPECS, "db-a", 3)]).end("pg-mount");
    const settled = started();
    // Assess
    expect(
      earlyHeartbeatDue({ state: h.state, report: h.report, sent: offline, lastEarlyAt: undefined, now: 100 }),
    ).toBe(false);
    expect(
      earlyHeartbeatDue({
        state: settled.state,
        report: settled.report,
        sent: settled.report,
        lastEarlyAt: undefined,
        now: 300,
      }),
    ).toBe(false);
  });

  it("is never due while leaving (the last heartbeat says all)", () => {
    // Prepare: leaving, with everything stopped.
    const h = started().leave().settleAll();
    // Assess
    expect(
      earlyHeartbeatDue({
        state: h.state,
        report: h.report,
        sent: { "pg-mount": "online", postgres: "online", exporter: "online" },
        lastEarlyAt: undefined,
        now: 1_000,
      }),
    ).toBe(false);
  });
});
