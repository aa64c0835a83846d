/**
 * The agent loop with the real command driver and real processes, on short timings: a start under
 * way when the lease runs out is killed, so its effect never lands after the self-fence deadline.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent } from "../../../lib/agent/agent.js";
import { driverFor } from "../../../lib/agent/drivers/index.js";
import { HeartbeatTransportError, type HeartbeatReply } from "../../../lib/agent/edges.js";
import type { CommandSpec } from "../../../lib/core/agent/spec.js";
import { answerBody } from "../agent/fixture.js";
import { memoryLog, scratchDir } from "./support/fixtures.js";

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = scratchDir());
});

afterEach(() => cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the agent with the command driver: a start under way when the lease runs out", () => {
  it("kills the start, so its effect never lands after the self-fence deadline", async () => {
    // Prepare: a start that does its real work late (waits, then writes "up"); only the first heartbeat is answered.
    const state = join(dir, "state");
    const landed = join(dir, "landed");
    const spec: CommandSpec = {
      id: "svc",
      type: "command",
      dependsOn: [],
      pendingTimeoutMs: 10_000,
      stopTimeoutMs: 250,
      restart: { threshold: 3, periodMs: 900_000 },
      start: ["/bin/sh", "-c", `sleep 2.5; echo up > ${state}; touch ${landed}`],
      stop: ["/bin/sh", "-c", `echo down > ${state}`],
      check: ["/bin/sh", "-c", `grep -q up ${state}`],
    };
    const timing = { leaseDurationMs: 2_000, heartbeatIntervalMs: 500 };
    // The self-fence deadline, from the definition: lease − max(250 ms, lease / 20) = 2000 − 250 ms after the send.
    const deadlineMs = timing.leaseDurationMs - Math.max(250, timing.leaseDurationMs / 20);
    const log = memoryLog();
    let firstSentAt: number | undefined;
    let firstSentWallMs = 0;
    const agent = new Agent("db-a", {
      transport: () => ({
        send(body: unknown): Promise<HeartbeatReply> {
          const sent = body as { nodeId: string; bootId: string; seq: number };
          if (firstSentAt !== undefined) return Promise.reject(new HeartbeatTransportError("partitioned"));
          firstSentAt = performance.now();
          firstSentWallMs = Date.now();
          const group = {
            id: "g",
            owner: "db-a",
            epoch: 1,
            resources: { svc: "online" as const },
            agentResources: [spec],
          };
          return Promise.resolve({ status: 200, body: answerBody(sent, [group], timing) });
        },
        close: () => undefined,
      }),
      drivers: (s) => driverFor(s, log),
      clock: { now: () => performance.now() },
      timers: { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      log,
    });
    // Act: watch the state file until well after the start would have ended.
    const seen: { at: number; text: string }[] = [];
    agent.start();
    const until = performance.now() + 3_500;
    while (performance.now() < until) {
      seen.push({ at: performance.now(), text: existsSync(state) ? readFileSync(state, "utf8").trim() : "" });
      await sleep(20);
    }
    agent.leave("SIGTERM");
    await agent.finished;
    // Assess
    const deadline = (firstSentAt ?? 0) + deadlineMs;
    const lateUp = seen.filter((s) => s.at > deadline && s.text === "up").map((s) => Math.round(s.at - deadline));
    expect(lateUp).toEqual([]);
    // The start's effect may have landed only before the deadline (the file's time is wall-clock, 1 s grain at worst).
    const landedLate = existsSync(landed) ? statSync(landed).mtimeMs - (firstSentWallMs + deadlineMs) : -Infinity;
    expect(landedLate).toBeLessThanOrEqual(0);
    expect(seen.at(-1)?.text).toBe("down");
  }, 15_000);
});
