import { describe, expect, it } from "vitest";
import { createLog } from "../../../lib/agent/log.js";

function capture() {
  const lines: string[] = [];
  const log = createLog({ write: (line) => lines.push(line), now: () => new Date("2026-11-22T03:00:00.000Z") });
  return { log, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("createLog", () => {
  it("drops debug lines unless its level is debug", () => {
    // Prepare
    const quiet = capture();
    const lines: string[] = [];
    const verbose = createLog({ write: (line) => lines.push(line), level: "debug" });
    // Act
    for (const log of [quiet.log, verbose]) {
      log.debug("start: output of /opt/app/start", { stdout: "started" });
      log.info("start: /opt/app/start succeeded");
    }
    // Assess
    expect(quiet.parsed().map((line) => line.level)).toEqual(["info"]);
    expect(lines.map((line) => (JSON.parse(line) as Record<string, unknown>).level)).toEqual(["debug", "info"]);
  });

  it("writes one JSON object per line with time, level, message and the attributes", () => {
    // Prepare
    const { log, lines, parsed } = capture();
    // Act
    log.info("heartbeat acknowledged", { seq: 4 });
    log.warn("lease running out");
    log.error("stop failed", { resource: "postgres" });
    // Assess
    expect(lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n"))).toBe(true);
    expect(parsed()).toEqual([
      { time: "2026-11-22T03:00:00.000Z", level: "info", message: "heartbeat acknowledged", seq: 4 },
      { time: "2026-11-22T03:00:00.000Z", level: "warn", message: "lease running out" },
      { time: "2026-11-22T03:00:00.000Z", level: "error", message: "stop failed", resource: "postgres" },
    ]);
  });

  it("writes errors as name, message, code and causes, without a stack", () => {
    // Prepare
    const { log, parsed } = capture();
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    // Act
    log.error("heartbeat failed", { error: new TypeError("no answer", { cause }) });
    // Assess
    expect(parsed()[0]?.error).toEqual({
      name: "TypeError",
      message: "no answer",
      cause: { name: "Error", message: "connect ECONNREFUSED 127.0.0.1:1", code: "ECONNREFUSED" },
    });
  });

  it("never throws on values JSON cannot hold: cycles and bigints", () => {
    // Prepare
    const { log, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    // Act
    log.info("odd values", { cyclic, big: 2n ** 64n });
    // Assess
    expect(parsed()[0]).toMatchObject({ cyclic: { name: "a", self: "[circular]" }, big: "18446744073709551616" });
  });
});
