import { describe, expect, it } from "vitest";
import { Agent, type HeartbeatBody } from "../../../lib/agent/agent.js";
import { createSuspendAwareClock } from "../../../lib/agent/clock.js";
import { selfFenceDeadlineMs } from "../../../lib/core/self-fencing.js";
import { BOOT, FakeDrivers, FakeLog, FakeTime, FakeTransport, fakePorts, type Answerer } from "./fakes.js";
import { answerBody, PG_SPECS, REPORTS, TIMING, wireGroup, type WireGroup } from "./fixture.js";

const DEADLINE_MS = selfFenceDeadlineMs(TIMING); // 9.5 s

function world() {
  const time = new FakeTime();
  const transport = new FakeTransport(time);
  const drivers = new FakeDrivers(time);
  const log = new FakeLog();
  const agent = new Agent("db-a", fakePorts(time, transport, drivers, log));
  return { time, transport, drivers, log, agent };
}

/** Answers every heartbeat with these groups. */
function answering(
  groups: () => readonly WireGroup[],
  timing: { leaseDurationMs: number; heartbeatIntervalMs: number } = TIMING,
): Answerer {
  return (body) => ({ status: 200, body: answerBody(body, groups(), timing) });
}

const owned = () => [wireGroup("postgres", PG_SPECS, "db-a", 3)];

describe("Agent: heartbeats", () => {
  it("sends its node id, a fresh boot id and an increasing seq, every 2 s until an answer gives the interval", async () => {
    // Prepare
    const { time, transport, agent } = world();
    // Act: unanswered for 4 s, then answered with an interval of 3 s.
    agent.start();
    await time.advance(4_500);
    transport.answerer = answering(() => [], { leaseDurationMs: 12_000, heartbeatIntervalMs: 3_000 });
    await time.advance(7_000);
    // Assess
    expect(transport.sent[0]?.body).toEqual({
      nodeId: "db-a",
      bootId: BOOT,
      seq: 1,
      resources: {},
      epochs: {},
      agentVersion: "0.1.0",
    });
    expect(transport.sent.map((s) => s.at)).toEqual([0, 2_000, 4_000, 6_000, 9_000]);
    expect(transport.sent.map((s) => s.body.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps one heartbeat in flight, with a request timeout of 80% of the interval", async () => {
    // Prepare: answers take longer than the timeout.
    const { time, transport, agent } = world();
    transport.latencyMs = 5_000;
    transport.answerer = answering(owned);
    // Act
    agent.start();
    await time.advance(10_000);
    // Assess
    expect(transport.maxInFlight).toBe(1);
    expect(transport.timeouts).toEqual([1_600]);
  });

  it("makes the transport again with a new timeout when the interval changes", async () => {
    // Prepare
    const { time, transport, agent } = world();
    transport.answerer = answering(() => [], { leaseDurationMs: 10_000, heartbeatIntervalMs: 1_000 });
    // Act
    agent.start();
    await time.advance(3_000);
    // Assess
    expect(transport.timeouts).toEqual([1_600, 800]);
  });

  it("reports its resources' states", async () => {
    // Prepare
    const { time, transport, agent } = world();
    transport.answerer = answering(owned);
    // Act
    agent.start();
    await time.advance(4_100);
    // Assess
    expect(transport.sent.at(-1)?.body.resources).toEqual({
      "pg-mount": "online",
      postgres: "online",
      exporter: "online",
    });
  });

  it("sends, per group, the epoch of the last answer it obeyed", async () => {
    // Prepare: postgres runs under epoch 3; then it moves to db-b under epoch 4.
    const { time, transport, agent } = world();
    let groups = owned();
    transport.answerer = answering(() => groups);
    // Act
    agent.start();
    await time.advance(4_100);
    const running = transport.sent.at(-1)?.body.epochs;
    groups = [wireGroup("postgres", PG_SPECS, "db-b", 4)];
    await time.advance(4_000);
    // Assess
    expect(transport.sent[0]?.body.epochs).toEqual({});
    expect(running).toEqual({ postgres: 3 });
    expect(transport.sent.at(-1)?.body).toMatchObject({
      resources: { "pg-mount": "offline", postgres: "offline", exporter: "offline" },
      epochs: { postgres: 4 },
    });
  });

  it("logs a refusal with its error code and message, and does not renew the lease with it", async () => {
    // Prepare: the first heartbeat is answered, every later one refused.
    const { time, transport, drivers, log, agent } = world();
    transport.answerer = (body) =>
      body.seq === 1
        ? { status: 200, body: answerBody(body, owned()) }
        : { status: 503, body: { error: { code: "StoreUnavailable", message: "The table could not be reached." } } };
    // Act
    agent.start();
    await time.advance(12_000);
    // Assess
    expect(log.messages()).toContain("heartbeat 2 refused: HTTP 503 StoreUnavailable: The table could not be reached.");
    expect(drivers.running.size).toBe(0);
    expect(log.messages()).toContain("lease lost: stopping group postgres");
  });

  it("logs and ignores a hostile answer, and keeps heartbeating", async () => {
    // Prepare: a command that is not an absolute path.
    const { time, transport, drivers, log, agent } = world();
    transport.answerer = (body) => {
      const answer = answerBody(body, owned());
      const groups = answer.groups as WireGroup[];
      groups[0]?.agentResources.splice(2, 1, { ...PG_SPECS[2], start: ["sh", "-c", "rm -rf /"] } as never);
      return { status: 200, body: answer };
    };
    // Act
    agent.start();
    await time.advance(5_000);
    // Assess
    expect(log.lines.find((l) => l.message.startsWith("ignored the answer to heartbeat 1"))?.message).toContain(
      "groups[0].agentResources[2].start",
    );
    expect(drivers.events).toEqual([]);
    expect(transport.sent.length).toBe(3);
  });
});

describe("Agent: an answer with one group's epoch gone back", () => {
  it("logs the group it ignores, stops it, and keeps the other groups running on the renewed lease", async () => {
    // Prepare: postgres (epoch 3) and reports (epoch 1) run here; from 3 s on, answers show postgres at epoch 2.
    const { time, transport, drivers, log, agent } = world();
    let postgresEpoch = 3;
    transport.answerer = answering(() => [
      wireGroup("postgres", PG_SPECS, "db-a", postgresEpoch),
      wireGroup("reports", [REPORTS], "db-a", 1),
    ]);
    agent.start();
    await time.advance(3_000);
    // Act
    postgresEpoch = 2;
    await time.advance(27_000);
    // Assess
    expect([...drivers.running]).toEqual(["reports"]);
    // The first answer after 3 s (its heartbeat's number depends on the early ones that reported the starts).
    expect(log.messages()).toContainEqual(
      expect.stringMatching(
        /^ignored group postgres in the answer to heartbeat \d+: groups\[0\]\.epoch went back from 3 to 2; epochs only grow \(was the table restored or edited by hand\?\); the group is stopped here if it runs, the rest of the answer counts$/,
      ),
    );
    expect(log.messages()).not.toContain("lease lost: stopping group reports");
    expect(transport.sent.at(-1)?.body.epochs).toEqual({ postgres: 3, reports: 1 });
  });
});

describe("Agent: resources", () => {
  it("starts in dependency order, and a slow start does not delay heartbeats", async () => {
    // Prepare: postgres takes 60 s to start.
    const { time, transport, drivers, agent } = world();
    transport.answerer = answering(owned);
    drivers.behave("postgres", { startMs: 60_000 });
    // Act
    agent.start();
    await time.advance(70_000);
    // Assess
    expect(drivers.order("start")).toEqual(["pg-mount", "postgres", "exporter"]);
    expect(transport.sent.map((s) => s.at).slice(0, 5)).toEqual([0, 2_000, 4_000, 6_000, 8_000]);
  });
});

describe("Agent: self-fencing", () => {
  it("stops the group in reverse order before the self-fence deadline when the API becomes unreachable", async () => {
    // Prepare: heartbeats sent before 3 s are answered; none after. The last acknowledged was sent at 2.35 s: the
    // group's three starts (100 ms each from the first answer at 50 ms) were reported at once, at 350 ms, and the
    // next heartbeat went an interval after that one.
    const lastAcked = 50 + 3 * 100 + 2_000;
    const { time, transport, drivers, log, agent } = world();
    transport.answerer = (body, now) => (now < 3_000 ? answering(owned)(body, now) : "unreachable");
    drivers.behave("exporter", { stopMs: 900 });
    drivers.behave("postgres", { stopMs: 900 });
    drivers.behave("pg-mount", { stopMs: 900 });
    // Act
    agent.start();
    await time.advance(30_000);
    // Assess
    const stops = drivers.events.filter((e) => e.what.startsWith("stop"));
    expect(stops.map((e) => e.what)).toEqual([
      "stop exporter",
      "stopped exporter",
      "stop postgres",
      "stopped postgres",
      "stop pg-mount",
      "stopped pg-mount",
    ]);
    expect(stops[0]?.at).toBe(lastAcked + DEADLINE_MS - 3_000);
    expect(stops.at(-1)?.at).toBeLessThanOrEqual(lastAcked + DEADLINE_MS);
    expect(log.lines).toContainEqual({ level: "error", message: "lease lost: stopping group postgres" });
    expect(drivers.running.size).toBe(0);
  });

  it("aborts a slow start under way when the lease runs out, stops after it ended, and reports offline only then", async () => {
    // Prepare: the exporter's start takes 60 s and is killed 300 ms after an abort; heartbeats sent before 3 s are
    // answered (the last acknowledged was sent at 2 s): its fence begins at 2 000 + 9 500 − 3 000 = 8 500 ms.
    const { time, transport, drivers, agent } = world();
    transport.answerer = (body, now) => (now < 3_000 ? answering(owned)(body, now) : "unreachable");
    drivers.behave("exporter", { startMs: 60_000, abortMs: 300, stopMs: 500 });
    const offlineWhileBusy: number[] = [];
    const answerer = transport.answerer;
    transport.answerer = (body, now) => {
      if (body.resources.exporter === "offline" && drivers.underWay("exporter") > 0) offlineWhileBusy.push(now);
      return answerer(body, now);
    };
    // Act
    agent.start();
    await time.advance(70_000);
    // Assess
    const exporter = drivers.events.filter((e) => e.what.endsWith(" exporter") && !e.what.startsWith("check"));
    // Started at 250 ms (after pg-mount and postgres, 100 ms each from the first answer at 50 ms); the fence's
    // stop, issued at 8 500 ms, aborts it; the start ends 300 ms later and only then does the stop run (500 ms).
    expect(exporter).toEqual([
      { at: 250, what: "start exporter" },
      { at: 8_800, what: "aborted start exporter" },
      { at: 8_800, what: "stop exporter" },
      { at: 9_300, what: "stopped exporter" },
    ]);
    expect(offlineWhileBusy).toEqual([]);
    expect(drivers.running.has("exporter")).toBe(false);
  });

  it("when a start ignores its abort past the stopTimeout, reports the resource failed, not offline, and stops it later", async () => {
    // Prepare: the exporter's start takes 60 s and needs 8 s to die once aborted. The answer to the heartbeat sent
    // at 2 s moves the group to db-b (a stop that aborts the start); later heartbeats get no answer, so the fence
    // begins at 2 000 + 9 500 − 3 000 = 8 500 ms and aborts both the start and that stop.
    const { time, transport, drivers, log, agent } = world();
    const moved = () => [wireGroup("postgres", PG_SPECS, "db-b", 4)];
    transport.answerer = (body, now) =>
      now < 1_900 ? answering(owned)(body, now) : now < 3_000 ? answering(moved)(body, now) : "unreachable";
    drivers.behave("exporter", { startMs: 60_000, abortMs: 8_000 });
    const offlineWhileBusy: number[] = [];
    const answerer = transport.answerer;
    transport.answerer = (body, now) => {
      if (body.resources.exporter === "offline" && drivers.underWay("exporter") > 0) offlineWhileBusy.push(now);
      return answerer(body, now);
    };
    // Act
    agent.start();
    await time.advance(30_000);
    // Assess: the fence's stop gave up at 9 500 ms; the start ended (killed) at 2 050 + 8 000; the stop tried again
    // an interval after its failure, at 11 500 ms.
    expect(log.messages()).toContain(
      "exporter did not stop: what was under way on exporter did not end within 1000 ms of being aborted; reporting it failed and trying again in 2s",
    );
    const exporter = drivers.events.filter((e) => e.what.endsWith(" exporter") && !e.what.startsWith("check"));
    expect(exporter).toEqual([
      { at: 250, what: "start exporter" },
      { at: 10_050, what: "aborted start exporter" },
      { at: 11_500, what: "stop exporter" },
      { at: 11_600, what: "stopped exporter" },
    ]);
    expect(offlineWhileBusy).toEqual([]);
    expect(drivers.running.size).toBe(0);
  });

  it("counts a late acknowledgement from its send, not from its arrival", async () => {
    // Prepare: answers take 1.5 s (inside the 1.6 s timeout); those to heartbeats sent from 3 s on never come.
    const { time, transport, drivers, agent } = world();
    transport.latencyMs = 1_500;
    transport.answerer = (body, now) => (now < 3_000 ? answering(owned)(body, now) : "unreachable");
    // Act
    agent.start();
    await time.advance(30_000);
    // Assess: the last acknowledged heartbeat was sent at 1.8 s (answered at 3.3 s): the one that reported the
    // group's three starts (100 ms each from the first answer at 1.5 s) at once; the next, an interval after it,
    // got none. The group's stop (3 x 1 s budget) begins 3 s before 1.8 s + the deadline, and ends before it.
    const lastAcked = 1_500 + 3 * 100;
    const stops = drivers.events.filter((e) => e.what.startsWith("stop"));
    expect(stops[0]).toEqual({ at: lastAcked + DEADLINE_MS - 3_000, what: "stop exporter" });
    expect(stops.at(-1)?.what).toBe("stopped pg-mount");
    expect(stops.at(-1)?.at).toBeLessThanOrEqual(lastAcked + DEADLINE_MS);
  });
});

describe("Agent: leaving", () => {
  it("on SIGTERM stops every resource in reverse order, sends a last heartbeat with leaving, and exits 0", async () => {
    // Prepare
    const { time, transport, drivers, log, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    // Act
    agent.leave("SIGTERM");
    await time.advance(100);
    agent.leave("SIGTERM");
    await time.advance(5_000);
    // Assess
    expect(drivers.order("stop")).toEqual(["exporter", "postgres", "pg-mount"]);
    const last = transport.sent.at(-1)?.body as HeartbeatBody;
    expect(last.leaving).toBe(true);
    expect(last.resources).toEqual({ "pg-mount": "offline", postgres: "offline", exporter: "offline" });
    expect(transport.sent.filter((s) => s.body.leaving === true)).toHaveLength(1);
    expect(transport.sent.at(-1)?.at).toBeGreaterThanOrEqual(drivers.events.at(-1)?.at ?? Infinity);
    await expect(agent.finished).resolves.toEqual({ code: 0 });
    expect(log.messages()).toContain("SIGTERM received while leaving: still stopping resources, then leaving");
  });

  it("on a restart (SIGUSR2) stops every resource in reverse order, but its last heartbeat is not a leaving one", async () => {
    // Prepare
    const { time, transport, drivers, log, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    // Act
    agent.leave("SIGUSR2 (restart)", "restart");
    await time.advance(5_000);
    // Assess: stopped as for a leave, reported offline, and the cluster is not told the node leaves.
    expect(drivers.order("stop")).toEqual(["exporter", "postgres", "pg-mount"]);
    const last = transport.sent.at(-1)?.body as HeartbeatBody;
    expect(last.leaving).toBeUndefined();
    expect(last.resources).toEqual({ "pg-mount": "offline", postgres: "offline", exporter: "offline" });
    expect(transport.sent.some((s) => s.body.leaving === true)).toBe(false);
    expect(transport.sent.at(-1)?.at).toBeGreaterThanOrEqual(drivers.events.at(-1)?.at ?? Infinity);
    await expect(agent.finished).resolves.toEqual({ code: 0 });
    expect(log.messages()).toContain(
      "stopped every resource for a restart: the next boot takes this node's groups back at its first answer; if it does not heartbeat within the lease and grace, they fail over",
    );
  });

  it("a SIGTERM while stopping for a restart makes it a leave", async () => {
    const { time, transport, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    agent.leave("SIGUSR2 (restart)", "restart");
    await time.advance(100);
    agent.leave("SIGTERM");
    await time.advance(5_000);
    expect((transport.sent.at(-1)?.body as HeartbeatBody).leaving).toBe(true);
    await expect(agent.finished).resolves.toEqual({ code: 0 });
  });

  it("says it left the cluster only when the leaving heartbeat was acknowledged", async () => {
    // Prepare: acknowledged until the leave; then the last heartbeat is never answered (3 tries).
    const { time, transport, log, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    // Act
    transport.answerer = (body) => (body.leaving === true ? "unreachable" : answering(owned)(body, 0));
    agent.leave("SIGTERM");
    await time.advance(15_000);
    // Assess
    expect(transport.sent.filter((s) => s.body.leaving === true)).toHaveLength(3);
    await expect(agent.finished).resolves.toEqual({ code: 0 });
    expect(log.messages()).not.toContain("left the cluster: every resource is offline");
    expect(
      log.lines.find((l) => l.message.startsWith("stopped every resource, but the cluster did not acknowledge")),
    ).toEqual({
      level: "warn",
      message:
        "stopped every resource, but the cluster did not acknowledge the leaving heartbeat (no answer after 3 tries: timed out): it still counts this node as an owner until its lease and grace are over after the last acknowledged heartbeat, then moves its groups as from a silent node (fencing EC2 nodes where the group fences)",
    });
  });

  it("a refused leaving heartbeat is reported as refused, not as having left", async () => {
    const { time, transport, log, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    transport.answerer = (body) =>
      body.leaving === true
        ? { status: 409, body: JSON.stringify({ error: { code: "StaleHeartbeat", message: "a newer boot" } }) }
        : answering(owned)(body, 0);
    agent.leave("SIGTERM");
    await time.advance(15_000);
    expect(log.messages()).not.toContain("left the cluster: every resource is offline");
    expect(log.messages().some((m) => /did not acknowledge the leaving heartbeat \(refused: /.test(m))).toBe(true);
  });

  it("exits 1 without claiming to leave when a resource does not stop", async () => {
    // Prepare
    const { time, transport, drivers, agent } = world();
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(3_000);
    drivers.behave("postgres", { stopFails: true });
    // Act
    agent.leave("SIGTERM");
    await time.advance(5_000);
    // Assess
    const last = transport.sent.at(-1)?.body as HeartbeatBody;
    expect(last.leaving).toBeUndefined();
    expect(last.resources.postgres).toBe("failed");
    await expect(agent.finished).resolves.toEqual({ code: 1 });
  });

  it("stops heartbeating once it has left", async () => {
    // Prepare
    const { time, transport, agent } = world();
    transport.answerer = answering(() => []);
    agent.start();
    await time.advance(1_000);
    agent.leave("SIGINT");
    await time.advance(1_000);
    const count = transport.sent.length;
    // Act
    await time.advance(10_000);
    // Assess
    expect(transport.sent.length).toBe(count);
    await expect(agent.finished).resolves.toEqual({ code: 0 });
  });
});

describe("Agent: suspend", () => {
  it("self-fences at the first decision after a resume when the suspend outlasted the lease", async () => {
    // Prepare: a clock that counts suspend (boot time) over the simulated monotonic clock.
    const time = new FakeTime();
    const transport = new FakeTransport(time);
    const drivers = new FakeDrivers(time);
    const log = new FakeLog();
    let suspendedMs = 0;
    const clock = createSuspendAwareClock({
      monotonicMs: () => time.now,
      bootTimeMs: () => 3_600_000 + time.now + suspendedMs,
    });
    const agent = new Agent("db-a", { ...fakePorts(time, transport, drivers, log), clock });
    transport.answerer = answering(owned);
    agent.start();
    await time.advance(5_000);
    const runningBefore = [...drivers.running].sort();
    // Act: the machine sleeps 60 s at 5 s (monotonic time stands still), then runs on; answers still come.
    suspendedMs = 60_000;
    await time.advance(2_000);
    // Assess: the group stops at the first decision after the resume, at the latest at the heartbeat due at 6 s.
    const firstStop = drivers.events.find((e) => e.what.startsWith("stop "));
    expect(runningBefore).toEqual(["exporter", "pg-mount", "postgres"]);
    expect(firstStop?.what).toBe("stop exporter");
    expect(firstStop?.at).toBeGreaterThan(5_000);
    expect(firstStop?.at).toBeLessThanOrEqual(6_000);
    expect(log.messages()).toContain("lease lost: stopping group postgres");
  });
});

describe("Agent: watchdog", () => {
  it("feeds the watchdog at every decision, at least every two heartbeat intervals, also while the API is down", async () => {
    // Prepare
    const time = new FakeTime();
    const transport = new FakeTransport(time);
    const drivers = new FakeDrivers(time);
    const pets: number[] = [];
    const watchdog = { pet: () => pets.push(time.now) };
    const agent = new Agent("db-a", { ...fakePorts(time, transport, drivers, new FakeLog()), watchdog });
    transport.answerer = answering(owned);
    // Act: answered for 10 s, then the API is gone for 30 s (the lease is lost, the group stops).
    agent.start();
    await time.advance(10_000);
    transport.answerer = () => "unreachable";
    await time.advance(30_000);
    // Assess
    const gaps = pets.slice(1).map((at, i) => at - (pets[i] ?? 0));
    expect(pets[0]).toBe(0);
    expect(pets.at(-1)).toBeGreaterThan(38_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * 2_000);
  });

  it("stops feeding the watchdog once a resource may still run past the self-fence deadline", async () => {
    // Prepare: heartbeats sent before 3 s are answered (the last acknowledged was sent at 2 s, so the deadline is
    // 2 000 + 9 500 = 11 500 ms); the exporter's stop always fails.
    const time = new FakeTime();
    const transport = new FakeTransport(time);
    const drivers = new FakeDrivers(time);
    const log = new FakeLog();
    const pets: number[] = [];
    const watchdog = { pet: () => pets.push(time.now) };
    const agent = new Agent("db-a", { ...fakePorts(time, transport, drivers, log), watchdog });
    transport.answerer = (body, now) => (now < 3_000 ? answering(owned)(body, now) : "unreachable");
    drivers.behave("exporter", { stopFails: true });
    // Act
    agent.start();
    await time.advance(30_000);
    // Assess
    expect(pets.at(-1)).toBeLessThanOrEqual(11_500);
    expect(pets.at(-1)).toBeGreaterThan(9_500);
    expect(log.messages()).toContain(
      "resources may still run past the self-fence deadline (exporter): no longer feeding the watchdog, so the node will be reset when it times out",
    );
  });

  it("says so when the watchdog's timeout is longer than the self-fence deadline", async () => {
    // Prepare: deadline 10 000 − max(250, 500) = 9 500 ms; the watchdog times out after 10 s.
    const { time, transport, drivers } = world();
    const log = new FakeLog();
    const watchdog = { pet: () => undefined, timeoutMs: 10_000 };
    const agent = new Agent("db-a", { ...fakePorts(time, transport, drivers, log), watchdog });
    transport.answerer = answering(owned);
    // Act
    agent.start();
    await time.advance(1_000);
    // Assess
    expect(log.lines.filter((l) => l.message.includes("watchdog"))).toEqual([
      {
        level: "error",
        message:
          "the watchdog's timeout (10000 ms) is longer than the self-fence deadline (9500 ms): a hung agent would not reset the node before its lease ends; lower it (softdog soft_margin=, or the driver's own parameter)",
      },
    ]);
  });
});
