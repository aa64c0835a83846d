/**
 * Random histories of answers, refusals, outages, slow and failing resources, moves and a SIGTERM,
 * on a simulated clock. Whatever happens, no resource runs past the self-fence deadline counted from
 * the send of the last acknowledged heartbeat, starts before those it depends on run, or stops while
 * a resource that depends on it runs; it never reports a resource offline (or fenced) while a start or
 * stop of it is under way in its driver (nor while it may still run); its echoed epochs never go back nor exceed any
 * answer's, and an echoed epoch under which another node owns the group means nothing of it runs or is under way
 * here; and once the API is gone for good, everything stops. The fake
 * drivers do not cancel a start when a stop is issued: only an abort ends it early.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Agent } from "../../../lib/agent/agent.js";
import type { HeartbeatReply } from "../../../lib/agent/edges.js";
import { selfFenceDeadlineMs } from "../../../lib/core/self-fencing.js";
import { FakeDrivers, FakeLog, FakeTime, FakeTransport, fakePorts } from "./fakes.js";
import { answerBody, PG_SPECS, REPORTS, TIMING, wireGroup } from "./fixture.js";

const DEADLINE_MS = selfFenceDeadlineMs(TIMING);
const SPECS = { postgres: PG_SPECS, reports: [REPORTS] } as const;
type GroupName = keyof typeof SPECS;
const IDS = [...PG_SPECS, REPORTS].map((spec) => spec.id);
const DEPENDS_ON = new Map([...PG_SPECS, REPORTS].map((spec) => [spec.id, spec.dependsOn]));

type NetworkMode = "ok" | "down" | "refuse" | "hostile";

type Step =
  | { kind: "advance"; ms: number }
  | { kind: "network"; mode: NetworkMode }
  | { kind: "latency"; ms: number }
  | { kind: "desire"; group: GroupName; state: "online" | "offline" }
  | { kind: "move"; group: GroupName; owner: "db-a" | "db-b" | null }
  | {
      kind: "behave";
      id: string;
      startMs: number;
      stopMs: number;
      abortMs: number;
      startFails: boolean;
      healthy: boolean;
    }
  | { kind: "leave" };

const group = fc.constantFrom<GroupName>("postgres", "reports");
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("advance"), ms: fc.integer({ min: 0, max: 4_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("network"), mode: fc.constantFrom("ok", "down", "refuse", "hostile") }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("latency"), ms: fc.integer({ min: 0, max: 2_500 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("desire"), group, state: fc.constantFrom("online", "offline") }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("move"), group, owner: fc.constantFrom("db-a", "db-b", null) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("behave"),
      id: fc.constantFrom(...IDS),
      startMs: fc.integer({ min: 0, max: 8_000 }),
      // Drivers keep their stop timeouts (1 s here), killing a start under way included: the agent's promise rests on that.
      stopMs: fc.integer({ min: 0, max: 800 }),
      abortMs: fc.integer({ min: 0, max: 200 }),
      startFails: fc.boolean(),
      healthy: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "leave" as const }) },
);

async function replay(steps: readonly Step[]): Promise<string[]> {
  const time = new FakeTime();
  const transport = new FakeTransport(time);
  const drivers = new FakeDrivers(time);
  const agent = new Agent("db-a", fakePorts(time, transport, drivers, new FakeLog()));
  const violations: string[] = [];
  const hostile = new Set<HeartbeatReply>();
  const world = {
    mode: "ok" as NetworkMode,
    groups: {
      postgres: { owner: "db-a" as string | null, epoch: 1, desired: "online" as "online" | "offline" },
      reports: { owner: "db-b" as string | null, epoch: 1, desired: "online" as "online" | "offline" },
    },
  };

  const echoed = new Map<string, number>();
  /** "group@epoch" → its owner under that epoch. */
  const owners = new Map<string, string | null>([
    ["postgres@1", world.groups.postgres.owner],
    ["reports@1", world.groups.reports.owner],
  ]);
  transport.answerer = (body) => {
    for (const [groupId, epoch] of Object.entries(body.epochs)) {
      const before = echoed.get(groupId) ?? -1;
      if (epoch < before) violations.push(`epochs.${groupId} went back from ${before} to ${epoch} at ${time.now}`);
      if (epoch > world.groups[groupId as GroupName].epoch) {
        violations.push(`epochs.${groupId} is ${epoch}, above any answer's, at ${time.now}`);
      }
      echoed.set(groupId, epoch);
      // Obeying an epoch under which another node (or nobody) owns the group means nothing of it runs here.
      const owner = owners.get(`${groupId}@${epoch}`);
      const busy = SPECS[groupId as GroupName]
        .map((spec) => spec.id)
        .filter((id) => drivers.running.has(id) || drivers.underWay(id) > 0);
      if (owner !== "db-a" && busy.length > 0) {
        violations.push(`epochs.${groupId} is ${epoch} (owner ${owner}) at ${time.now} while ${busy.join(", ")} run`);
      }
    }
    for (const [id, reported] of Object.entries(body.resources)) {
      if ((reported === "offline" || reported === "fenced") && (drivers.underWay(id) > 0 || drivers.running.has(id))) {
        violations.push(
          `${id} reported ${reported} at ${time.now} while it may run (${drivers.underWay(id)} action(s))`,
        );
      }
    }
    if (world.mode === "down") return "unreachable";
    if (world.mode === "refuse") return { status: 503, body: { error: { code: "StoreUnavailable", message: "x" } } };
    const groups = (Object.keys(SPECS) as GroupName[]).map((name) => {
      const g = world.groups[name];
      return wireGroup(name, SPECS[name], g.owner, g.epoch, g.desired);
    });
    const reply = {
      status: 200,
      body: answerBody(world.mode === "hostile" ? { ...body, seq: body.seq + 1 } : body, groups),
    };
    if (world.mode === "hostile") hostile.add(reply);
    return reply;
  };
  time.observe = (now) => {
    const acked = transport.delivered.filter((d) => d.reply.status === 200 && !hostile.has(d.reply));
    const lastAckedSend = Math.max(-Infinity, ...acked.map((d) => d.sentAt));
    for (const id of drivers.running) {
      if (now > lastAckedSend + DEADLINE_MS) {
        violations.push(`${id} running at ${now}, past ${lastAckedSend} + ${DEADLINE_MS}`);
      }
    }
  };
  drivers.onAction = (action, id) => {
    if (action === "start") {
      for (const dependency of DEPENDS_ON.get(id) ?? []) {
        if (!drivers.running.has(dependency)) violations.push(`${id} started at ${time.now} before ${dependency}`);
      }
    } else {
      for (const [dependent, dependsOn] of DEPENDS_ON) {
        if (dependsOn.includes(id) && drivers.running.has(dependent)) {
          violations.push(`${id} stopped at ${time.now} while ${dependent} runs`);
        }
      }
    }
  };

  agent.start();
  for (const s of steps) {
    switch (s.kind) {
      case "advance":
        await time.advance(s.ms);
        break;
      case "network":
        world.mode = s.mode;
        break;
      case "latency":
        transport.latencyMs = s.ms;
        break;
      case "desire":
        world.groups[s.group].desired = s.state;
        break;
      case "move":
        world.groups[s.group] = { ...world.groups[s.group], owner: s.owner, epoch: world.groups[s.group].epoch + 1 };
        owners.set(`${s.group}@${world.groups[s.group].epoch}`, s.owner);
        break;
      case "behave":
        drivers.behave(s.id, s);
        break;
      case "leave":
        agent.leave("SIGTERM");
        break;
    }
  }
  // The API gone for good: everything must stop.
  world.mode = "down";
  await time.advance(3 * DEADLINE_MS);
  if (drivers.running.size > 0) violations.push(`still running at the end: ${[...drivers.running].join(", ")}`);
  return violations;
}

describe("Agent properties", () => {
  it("never runs a resource past the self-fence deadline, and keeps dependency order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        // Act
        const violations = await replay(steps);
        // Assess
        expect(violations).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
