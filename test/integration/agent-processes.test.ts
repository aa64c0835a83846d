import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silenceLimitMs, takeoverGraceMs } from "../../lib/core/controller/timing.js";
import { selfFenceDeadlineMs } from "../../lib/core/self-fencing.js";
import {
  type AgentProcess,
  buildAgentBundle,
  killAllAgents,
  type NodeKeys,
  onPremNodeKeys,
  spawnAgent,
} from "../support/agent-process.js";
import {
  type AgentCluster,
  agentClusterDocument,
  CHAIN,
  GROUP,
  NODES,
  RESTART_THRESHOLD,
  RESTARTED,
  startAgentCluster,
  type Tamper,
  type TestNode,
} from "./support/agent-cluster.js";
import { describeLines, overlappingRuns, readRecord, type RecordLine } from "./support/agent-record.js";

// Real baton-agent processes (the release bundle) against the real heartbeat handler behind the test
// gateway (SigV4 checked per node) and the real controller, one pass per tick, over moto. The group's
// resources are commands of test/fixtures/agent/recorded-service.sh, which record every start and stop
// with its wall-clock time. The scenarios run in order, each from where the previous one left the group (waited
// for again, and its epoch read, at the scenario's start: settledOn).
//
// Waits follow the events (a controller event, an agent's log line) and are bounded by the definition's numbers
// (agent-cluster.ts: heartbeats every 500 ms, lease 4 s, a pass every 1 s, 500 ms per resource stop; the agent
// checks a resource every 5 s), times LOAD_ALLOWANCE: on a machine busy with other work (two CPU-bound processes
// beside this file, on two cores other test runs shared too) a step of a move took up to five times as long as on
// an idle one. A wait that holds ends at its event, so the allowance costs time only when the test fails.
const LOAD_ALLOWANCE = 5;
/**
 * One resource started by a move: its desired state reaches the agent in the next answer (≤ 500 ms), the agent
 * starts it and reports it online in its next heartbeat (≤ 500 ms), and the next pass (≤ 1 s) sees that.
 */
const START_STEP_MS = 500 + 500 + 1_000;
/** A decided move of the chain: each resource stopped at the source (≤ 500 ms each), then started at the target. */
const MOVE_MS = LOAD_ALLOWANCE * CHAIN.length * (500 + START_STEP_MS);
/** A silent owner is taken over after lease 4 s + grace max(2 s, 4 s / 5), at the next pass (≤ 1 s), then moved. */
const SILENT_MOVE_MS = LOAD_ALLOWANCE * (4_000 + 2_000 + 1_000) + MOVE_MS;
/** A failed check is seen within one check interval (5 s); the restart stops and starts the chain's tail. */
const CHECK_AND_RESTART_MS = LOAD_ALLOWANCE * (5_000 + CHAIN.length * (500 + START_STEP_MS));
/**
 * An answer reaches an agent the gateway lets through within one lease (4 s: eight heartbeats, of which a busy
 * machine leaves some unanswered within the agent's 400 ms request timeout).
 */
const ANSWER_MS = LOAD_ALLOWANCE * 4_000;
/** A restarted agent process loads its bundle and joins: its first heartbeat (sent at once, retried every 2 s) answered. */
const JOIN_MS = LOAD_ALLOWANCE * (2_000 + 4_000);
/**
 * The state a scenario starts from, reached again: the previous scenario left the group online on its owner, but a
 * stall of this process on a busy machine (it runs the gateway and the heartbeat function) can cost the owner its
 * lease; the controller then assigns the group again (in place or to the other node) under a higher epoch.
 */
const SETTLE_MS = SILENT_MOVE_MS;
/** Room for what a scenario does besides its waits (reading the table and the record). */
const SCENARIO_SLACK_MS = 10_000;

const FIXTURE = resolve("test/fixtures/agent/recorded-service.sh");
const keys = onPremNodeKeys(NODES) as Record<TestNode, NodeKeys>;
const agents = {} as Record<TestNode, AgentProcess>;
let dir: string;
let bundle: string;
let cluster: AgentCluster;

function startAgent(node: TestNode): AgentProcess {
  agents[node] = spawnAgent({
    bundle,
    nodeId: node,
    heartbeatUrl: cluster.gateway.url,
    keys: keys[node],
    dir,
    // Inherited by the commands the agent runs: the fixture learns its node from it.
    env: { BATON_TEST_NODE: node },
  });
  return agents[node];
}

/** Record lines from `since` (wall clock, ms) on, optionally of one node and action. */
function recorded(since: number, node?: TestNode, action?: RecordLine["action"]): RecordLine[] {
  return readRecord(dir).filter(
    (l) => l.at >= since && (node === undefined || l.node === node) && (action === undefined || l.action === action),
  );
}

const marker = (node: TestNode, resource: string) => join(dir, node, `${resource}.running`);
const running = (node: TestNode) =>
  existsSync(join(dir, node)) ? readdirSync(join(dir, node)).filter((f) => f.endsWith(".running")) : [];
/** Waits until the table shows a heartbeat of `node` received within the last two intervals. */
async function heardRecently(node: TestNode, timeoutMs = ANSWER_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const recent = () => 2 * cluster.timing.heartbeatIntervalMs;
  while (Date.now() - ((await cluster.liveness(node))?.receivedAt ?? 0) > recent()) {
    if (Date.now() > deadline) throw new Error(`${node} not heard within ${timeoutMs} ms\n${agents[node].tail()}`);
    await sleep(50);
  }
}

/**
 * Waits until the group is online on `owner` with each of its resources running there (see SETTLE_MS), and returns
 * its epoch: a scenario's moves are counted from it.
 */
async function settledOn(owner: TestNode, timeoutMs = SETTLE_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const group = await cluster.group();
    if (group?.owner === owner && group.status === "online" && running(owner).length === CHAIN.length)
      return group.epoch;
    if (Date.now() > deadline) {
      throw new Error(
        `group not online on ${owner} within ${timeoutMs} ms: ${JSON.stringify(group)}; running there: ${running(owner).join(", ")}`,
      );
    }
    await sleep(100);
  }
}

/** Waits until the gateway has answered 200 to `count` heartbeats of `node` from `seenFrom` (its `seen` index) on. */
async function answered(node: TestNode, seenFrom: number, count: number, timeoutMs = ANSWER_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ok = () =>
    cluster.gateway.seen.slice(seenFrom).filter((s) => s.accessKeyId === keys[node].accessKeyId && s.status === 200);
  while (ok().length < count) {
    if (Date.now() > deadline)
      throw new Error(
        `${node}: ${ok().length} of ${count} heartbeats answered within ${timeoutMs} ms\n${agents[node].tail()}`,
      );
    await sleep(50);
  }
}

/** The group's next move from pass index `afterPass` on: its start, once it has completed within `withinMs`. */
async function nextMove(afterPass: number, withinMs: number) {
  const deadline = Date.now() + withinMs;
  const started = await cluster.controller.waitForEvent("failover-started", {
    groupId: GROUP,
    afterPass,
    timeoutMs: withinMs,
  });
  await cluster.controller.waitForEvent("failover-completed", {
    groupId: GROUP,
    afterPass,
    timeoutMs: Math.max(0, deadline - Date.now()),
  });
  return started;
}

const last = <T>(list: readonly T[]): T => {
  if (list.length === 0) throw new Error("expected at least one element");
  return list[list.length - 1]!;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "baton-agent-it-"));
  bundle = await buildAgentBundle(join(dir, "baton-agent.mjs"));
  // The controller's first pass waits until both agents have joined: placement then goes to the most preferred
  // node, whichever agent process a busy machine happened to start first.
  let joined!: (all: Promise<unknown>) => void;
  const bothJoined = new Promise<unknown>((resolve) => (joined = resolve));
  cluster = await startAgentCluster(keys, agentClusterDocument(keys, FIXTURE, dir), undefined, {
    firstPassAfter: bothJoined,
  });
  for (const node of NODES) startAgent(node);
  const all = Promise.all(NODES.map((node) => agents[node].waitForLine((l) => l.message.startsWith("joined cluster"))));
  joined(all);
  await all;
}, 120_000); // the release bundle is built with esbuild first

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const record = describeLines(readRecord(dir)).join("\n  ");
    console.error(`record:\n  ${record}\n${NODES.map((n) => agents[n]?.tail(40)).join("\n")}`);
  });
});

afterAll(async () => {
  try {
    await killAllAgents();
  } finally {
    await cluster?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

describe("baton-agent processes with the heartbeat handler and the controller (moto, fast timing)", () => {
  it(
    "placement: the group starts on node-a in dependency order, and node-b starts nothing",
    async () => {
      // Act
      const placed = await cluster.controller.waitForEvent("failover-completed", {
        groupId: GROUP,
        timeoutMs: MOVE_MS,
      });
      // Assess
      expect(placed.event).toMatchObject({ kind: "place", target: "node-a", epoch: 1 });
      expect(describeLines(recorded(0, undefined, "start"))).toEqual(CHAIN.map((r) => `node-a ${r} start`));
      // Each started only once the one it depends on was online.
      const steps = agents["node-a"].lines
        .map((l) => l.message.split(" (")[0]!)
        .filter((m) => /^starting app-|^app-\S+ online$/.test(m));
      expect(steps).toEqual(CHAIN.flatMap((r) => [`starting ${r}`, `${r} online`]));
      expect(running("node-a").sort()).toEqual(CHAIN.map((r) => `${r}.running`).sort());
      expect(running("node-b")).toEqual([]);
      expect(await cluster.group()).toMatchObject({ owner: "node-a", epoch: 1, status: "online" });
      expect(cluster.controller.failures()).toEqual([]);
    },
    MOVE_MS + SCENARIO_SLACK_MS,
  );

  it(
    "cut-off: node-a stops in reverse order before the controller may take the group, then node-b starts it",
    async () => {
      // Prepare
      const from = await settledOn("node-a");
      const a = agents["node-a"];
      const logFrom = a.lines.length;
      const passFrom = cluster.controller.passes.length;
      const cutAt = Date.now();
      // Act: node-a's requests get no answer from now on.
      cluster.gateway.block(keys["node-a"].accessKeyId, "blackhole");
      try {
        const taken = await nextMove(passFrom, SILENT_MOVE_MS);
        // Assess
        // The last heartbeat as the controller counts it: the receipt time the handler stamped into the table,
        // which is after the agent sent it (the agent's lease counts from the send, so it ends no later).
        const lastHeard = (await cluster.liveness("node-a"))!.receivedAt;
        const stops = recorded(cutAt, "node-a", "stop");
        const lastStop = last(stops).at;
        // Written out from the test's timing: lease 4 000 ms + grace max(2 000, 4 000 / 5) = 6 000 ms.
        const earliestTake = lastHeard + 6_000;
        const startsOnB = recorded(cutAt, "node-b", "start");
        console.log(
          `cut-off: from node-a's last acknowledged heartbeat (received ${lastHeard}) to its last resource stopped: ` +
            `${lastStop - lastHeard} ms; the controller may take the group after ${earliestTake - lastHeard} ms ` +
            `(lease ${cluster.timing.leaseDurationMs} + grace ${takeoverGraceMs(cluster.timing)}); it decided after ` +
            `${taken.event.detectionDelayMs} ms; node-b started the first ` +
            `resource after ${startsOnB[0] ? startsOnB[0].at - lastHeard : "?"} ms`,
        );
        expect(describeLines(stops)).toEqual([...CHAIN].reverse().map((r) => `node-a ${r} stop`));
        expect(lastStop).toBeLessThan(earliestTake);
        // The agent's own promise, which the controller's grace covers: stopped by the self-fence deadline.
        expect(lastStop).toBeLessThanOrEqual(lastHeard + selfFenceDeadlineMs(cluster.timing));
        expect(taken.event).toMatchObject({ kind: "failover", source: "node-a", target: "node-b", epoch: from + 1 });
        expect(taken.event.detectionDelayMs).toBeGreaterThan(6_000);
        expect(describeLines(startsOnB)).toEqual(CHAIN.map((r) => `node-b ${r} start`));
        expect(startsOnB[0]!.at).toBeGreaterThan(lastStop);
        expect(overlappingRuns(readRecord(dir))).toEqual([]);
        expect(cluster.controller.failures()).toEqual([]);
        await a.waitForLine((l) => l.message === `lease lost: stopping group ${GROUP}`, {
          after: logFrom,
          timeoutMs: 0,
        });
        await a.waitForLine((l) => l.message.startsWith(`group ${GROUP} stopped (lease lost), `), {
          after: logFrom,
          timeoutMs: 0,
        });
        expect(await cluster.group()).toMatchObject({ owner: "node-b", epoch: from + 1, status: "online" });
      } finally {
        cluster.gateway.unblock(keys["node-a"].accessKeyId);
      }
    },
    SETTLE_MS + SILENT_MOVE_MS + SCENARIO_SLACK_MS,
  );

  it(
    "resource failure: node-b restarts app-server in place up to its threshold, then reports it failed and the group fails over",
    async () => {
      // Prepare: node-a is answered again, so it can take the group.
      const b = agents["node-b"];
      await heardRecently("node-a");
      const from = await settledOn("node-b");
      const since = Date.now();
      const passFrom = cluster.controller.passes.length;
      let logFrom = b.lines.length;
      // Act: the service dies (its marker goes, so its check fails), again and again.
      for (let restart = 1; restart <= RESTART_THRESHOLD; restart++) {
        rmSync(marker("node-b", RESTARTED));
        const warned = await b.waitForLine(
          (l) => l.message.startsWith(`check of ${RESTARTED} failed: restarting it (restart ${restart} of`),
          { after: logFrom, timeoutMs: CHECK_AND_RESTART_MS },
        );
        logFrom = (
          await b.waitForLine((l) => l.message === `${last(CHAIN)} online`, {
            after: warned.index,
            timeoutMs: CHECK_AND_RESTART_MS,
          })
        ).index;
      }
      rmSync(marker("node-b", RESTARTED));
      await b.waitForLine((l) => l.message.startsWith(`${RESTARTED} failed: its check failed again`), {
        after: logFrom,
        timeoutMs: CHECK_AND_RESTART_MS,
      });
      const moved = await nextMove(passFrom, MOVE_MS);
      // Assess
      const restartOnce = [
        `node-b app-proxy stop`,
        `node-b app-server stop`,
        `node-b app-server start`,
        `node-b app-proxy start`,
      ];
      expect(describeLines(recorded(since, "node-b"))).toEqual([
        ...Array.from({ length: RESTART_THRESHOLD }, () => restartOnce).flat(),
        "node-b app-proxy stop",
        "node-b app-server stop",
        "node-b app-data stop",
      ]);
      expect(moved.event).toMatchObject({ kind: "failover", source: "node-b", target: "node-a", epoch: from + 1 });
      expect(moved.event.reason).toContain(`resource ${RESTARTED} failed on node-b`);
      const startsOnA = recorded(since, "node-a", "start");
      expect(describeLines(startsOnA)).toEqual(CHAIN.map((r) => `node-a ${r} start`));
      expect(startsOnA[0]!.at).toBeGreaterThan(last(recorded(since, "node-b", "stop")).at);
      expect(overlappingRuns(readRecord(dir))).toEqual([]);
      expect(cluster.controller.failures()).toEqual([]);
      expect(await cluster.group()).toMatchObject({ owner: "node-a", epoch: from + 1, status: "online" });
    },
    ANSWER_MS + SETTLE_MS + (RESTART_THRESHOLD + 1) * CHECK_AND_RESTART_MS + MOVE_MS + SCENARIO_SLACK_MS,
  );

  it(
    "SIGTERM: node-a stops in reverse order, says it is leaving, and the controller moves the group at its next pass",
    async () => {
      // Prepare
      const from = await settledOn("node-a");
      const a = agents["node-a"];
      const passFrom = cluster.controller.passes.length;
      const since = Date.now();
      // Act
      a.signal("SIGTERM");
      const exit = await a.exited;
      const moved = await nextMove(passFrom, MOVE_MS);
      // Assess
      expect(exit).toEqual({ code: 0, signal: null });
      expect(a.lines.map((l) => l.message)).toContain("left the cluster: every resource is offline");
      const fromA = cluster.handled.filter((h) => h.nodeId === "node-a");
      const leaving = last(fromA);
      const lastBeat = last(fromA.filter((h) => !h.leaving && h.status === 200));
      expect(leaving).toMatchObject({ leaving: true, status: 200 });
      const stops = recorded(since, "node-a", "stop");
      expect(describeLines(stops)).toEqual([...CHAIN].reverse().map((r) => `node-a ${r} stop`));
      expect(last(stops).at).toBeLessThan(leaving.calledAt);
      // At its next pass: no pass that began once the leaving heartbeat was in the table came before the move.
      const passes = cluster.controller.passes;
      expect(passes.slice(0, passes.indexOf(moved.pass)).filter((p) => p.startedAt >= leaving.answeredAt)).toEqual([]);
      const decidedBy = moved.pass.endedAt - lastBeat.calledAt;
      console.log(
        `SIGTERM: the controller moved the group at most ${decidedBy} ms after node-a's last heartbeat before leaving ` +
          `(${moved.pass.endedAt - leaving.calledAt} ms after the leaving one), against the ${silenceLimitMs(cluster.timing)} ms ` +
          `(lease + grace) a silent node is given`,
      );
      expect(decidedBy).toBeLessThan(6_000); // lease 4 000 ms + grace 2 000 ms, written out
      expect(moved.event).toMatchObject({ kind: "failover", source: "node-a", target: "node-b", epoch: from + 1 });
      expect(moved.event.reason).toContain("leaving");
      const startsOnB = recorded(since, "node-b", "start");
      expect(describeLines(startsOnB)).toEqual(CHAIN.map((r) => `node-b ${r} start`));
      expect(startsOnB[0]!.at).toBeGreaterThan(last(stops).at);
      expect(overlappingRuns(readRecord(dir))).toEqual([]);
      expect(cluster.controller.failures()).toEqual([]);
      expect(await cluster.group()).toMatchObject({ owner: "node-b", epoch: from + 1, status: "online" });
    },
    SETTLE_MS + MOVE_MS + SCENARIO_SLACK_MS,
  );

  describe("hostile answers to node-a (back, owning nothing): refused, nothing started, heartbeats go on", () => {
    let epoch: number;
    beforeAll(async () => {
      const a = startAgent("node-a");
      await a.waitForLine((l) => l.message.startsWith("joined cluster"), { timeoutMs: JOIN_MS });
      epoch = (await cluster.group())!.epoch;
    }, JOIN_MS + SCENARIO_SLACK_MS);

    type Group = {
      owner: string | null;
      epoch: number;
      resources: Record<string, string>;
      agentResources: Record<string, unknown>[];
    };
    /** The real answer, with group app claimed for node-a under a new epoch (everything online), then `change`d. */
    const claimed =
      (change: (group: Group) => void): Tamper =>
      (answer) => {
        const copy = structuredClone(answer) as { groups: Group[] };
        const group = copy.groups[0]!;
        group.owner = "node-a";
        group.epoch = epoch + 1;
        for (const id of CHAIN) group.resources[id] = "online";
        change(group);
        return copy;
      };
    /** Node-a started nothing since `since`, was answered 200 at least twice from `seenFrom` on, and node-b keeps the group. */
    async function expectIdleAndHeard(since: number, seenFrom: number): Promise<void> {
      expect(recorded(since, "node-a", "start")).toEqual([]);
      expect(running("node-a")).toEqual([]);
      const laterOfA = cluster.gateway.seen.slice(seenFrom).filter((s) => s.accessKeyId === keys["node-a"].accessKeyId);
      expect(laterOfA.filter((s) => s.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(await cluster.group()).toMatchObject({ owner: "node-b", epoch, status: "online" });
    }
    const cases: {
      name: string;
      answer: { inject: { status: number; body: unknown } } | { tamper: Tamper };
      path: string;
    }[] = [
      {
        name: "fields of the wrong type",
        answer: {
          inject: { status: 200, body: { cluster: "agent-it", nodeId: "node-a", bootId: 7, seq: "1", groups: {} } },
        },
        path: "bootId",
      },
      { name: "a body that is not JSON", answer: { inject: { status: 200, body: "{not json" } }, path: "" },
      {
        name: "a resource the group's agentResources do not list",
        answer: { tamper: claimed((g) => (g.resources.ghost = "online")) },
        path: "groups[0].resources.ghost",
      },
      {
        name: "a command whose program is not an absolute path",
        answer: {
          tamper: claimed((g) => (g.agentResources[0]!.start = ["recorded-service.sh", "start", "app-data", "/tmp"])),
        },
        path: "groups[0].agentResources[0].start",
      },
      {
        name: "a field the agent does not know inside agentResources",
        answer: { tamper: claimed((g) => (g.agentResources[0]!.shell = true)) },
        path: "groups[0].agentResources[0].shell",
      },
      {
        name: "a resource online in a group another node owns",
        answer: {
          tamper: claimed((g) => {
            g.owner = "node-b";
            g.epoch = epoch;
            g.resources = { "app-data": "online", "app-server": "offline", "app-proxy": "offline" };
          }),
        },
        path: "groups[0].resources.app-data",
      },
    ];

    it.each(cases)(
      "$name",
      async ({ answer, path }) => {
        // Prepare
        const a = agents["node-a"];
        const since = Date.now();
        const logFrom = a.lines.length;
        const seenFrom = cluster.gateway.seen.length;
        // Act
        if ("inject" in answer) cluster.gateway.injectAnswer(keys["node-a"].accessKeyId, answer.inject, 1);
        else cluster.tamperNext("node-a", answer.tamper);
        const refused = await a.waitForLine((l) => l.message.startsWith("ignored the answer to heartbeat"), {
          after: logFrom,
          timeoutMs: ANSWER_MS,
        });
        const renewed = await a.waitForLine((l) => l.message.startsWith("heartbeats answered again after"), {
          after: refused.index,
          timeoutMs: ANSWER_MS,
        });
        // Assess
        expect(refused.line.level).toBe("error");
        const paths = (refused.line.problems as { path: string }[]).map((p) => p.path);
        // A tampered answer is the real one with one defect: refused for that defect alone.
        expect("tamper" in answer ? paths : paths.filter((p) => p === path)).toEqual([path]);
        // The supervisor acts on an answer as soon as it is accepted, so a start would be logged before the renewal.
        expect(a.lines.slice(logFrom, renewed.index + 1).filter((l) => l.message.startsWith("starting "))).toEqual([]);
        // The streak of heartbeats without a valid answer that the renewal ends: the refused answer alone, besides
        // heartbeats a busy machine left unanswered within the agent's timeout (never another refusal).
        const streak = Number(/after (\d+) without a valid answer$/.exec(renewed.line.message)?.[1]);
        const withoutAnswer = a.lines
          .slice(logFrom, renewed.index)
          .filter((l) => /^heartbeat \d+ (got no answer|refused)|^ignored the answer/.test(l.message));
        expect(
          withoutAnswer
            .slice(-streak)
            .filter((l) => !/^heartbeat \d+ got no answer/.test(l.message))
            .map((l) => l.message),
        ).toEqual([refused.line.message]);
        await expectIdleAndHeard(since, seenFrom);
      },
      2 * ANSWER_MS + SCENARIO_SLACK_MS,
    );

    it(
      "an epoch below one seen before: that group alone is ignored, the rest of the answer counts",
      async () => {
        // Prepare
        const a = agents["node-a"];
        const since = Date.now();
        const logFrom = a.lines.length;
        const seenFrom = cluster.gateway.seen.length;
        // Act
        cluster.tamperNext("node-a", (answer) => {
          const copy = structuredClone(answer) as { groups: Group[] };
          copy.groups[0]!.epoch = epoch - 1;
          return copy;
        });
        const ignored = await a.waitForLine((l) => l.message.startsWith("ignored group app in the answer"), {
          after: logFrom,
          timeoutMs: ANSWER_MS,
        });
        // Four heartbeats answered from the tamper on, so at least two after the tampered one (one may have been in
        // flight): the agent acted on that answer before it sent them (one heartbeat in flight at a time, the supervisor
        // run on every accepted answer), so a start of the ignored group would be logged by now.
        await answered("node-a", seenFrom, 4);
        // Assess
        expect(ignored.line.level).toBe("error");
        expect(ignored.line.message).toContain(`groups[0].epoch went back from ${epoch} to ${epoch - 1}`);
        expect(a.lines.slice(logFrom).filter((l) => l.message.startsWith("ignored the answer"))).toEqual([]);
        expect(a.lines.slice(logFrom).filter((l) => l.message.startsWith("starting "))).toEqual([]);
        await expectIdleAndHeard(since, seenFrom);
      },
      2 * ANSWER_MS + SCENARIO_SLACK_MS,
    );
  });
});
