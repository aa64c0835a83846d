import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAgentConfig } from "../../../lib/agent/config-file.js";
import { AgentConfigError, allowListOf, loadAgentConfigText } from "../../../lib/core/agent/config.js";

const GOOD = `# /etc/baton/agent.yaml
heartbeatUrl: https://abc123.execute-api.us-east-1.amazonaws.com/v1/heartbeat
nodeId: db-a
region: us-east-1
`;

function problemsOf(text: string) {
  const result = loadAgentConfigText(text);
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("loadAgentConfigText", () => {
  it("reads a good configuration, without a proxy unless one is given", () => {
    // Act
    const plain = loadAgentConfigText(GOOD);
    const proxied = loadAgentConfigText(`${GOOD}proxy: http://proxy.example:3128\n`);
    // Assess
    expect(plain).toEqual({
      ok: true,
      config: {
        heartbeatUrl: "https://abc123.execute-api.us-east-1.amazonaws.com/v1/heartbeat",
        nodeId: "db-a",
        region: "us-east-1",
      },
    });
    expect(proxied.ok && proxied.config.proxy).toBe("http://proxy.example:3128");
  });

  it("reads an optional watchdog device", () => {
    // Act
    const result = loadAgentConfigText(`${GOOD}watchdog:\n  device: /dev/watchdog0\n`);
    // Assess
    expect(result.ok && result.config.watchdog).toEqual({ device: "/dev/watchdog0" });
  });

  it("reads an optional log level, info or debug", () => {
    // Act
    const debug = loadAgentConfigText(`${GOOD}logLevel: debug\n`);
    const problems = problemsOf(`${GOOD}logLevel: verbose\n`);
    // Assess
    expect(debug.ok && debug.config.logLevel).toBe("debug");
    expect(problems).toEqual([
      {
        path: "logLevel",
        line: 5,
        message: '"verbose" is not a log level: info, or debug to log the output of the programs the agent runs.',
      },
    ]);
  });

  it("reads an allow-list of programs and units", () => {
    // Act
    const result = loadAgentConfigText(
      `${GOOD}allowedPrograms:\n  - /opt/reports/\n  - /usr/local/bin/check-pg\nallowedUnits: [postgresql.service, "app@*.service"]\nallowedMounts: [/srv/]\n`,
    );
    const none = loadAgentConfigText(GOOD);
    // Assess
    expect(result.ok && allowListOf(result.config)).toEqual({
      programs: ["/opt/reports/", "/usr/local/bin/check-pg"],
      units: ["postgresql.service", "app@*.service"],
      mounts: ["/srv/"],
    });
    expect(none.ok && allowListOf(none.config)).toBeUndefined();
  });

  it("refuses allow-list entries that are not plain absolute paths or unit names, each with its line", () => {
    // Act
    const problems = problemsOf(
      `${GOOD}allowedPrograms:\n  - opt/app/\n  - /opt/app/../../bin/\n  - /\n  - /opt//app\n  - 7\nallowedUnits: ["post gres.service"]\nallowedMounts: [/srv/../etc]\n`,
    );
    // Assess
    expect(problems.map(({ path, line }) => ({ path, line }))).toEqual([
      { path: "allowedPrograms[0]", line: 6 },
      { path: "allowedPrograms[1]", line: 7 },
      { path: "allowedPrograms[2]", line: 8 },
      { path: "allowedPrograms[3]", line: 9 },
      { path: "allowedPrograms[4]", line: 10 },
      { path: "allowedUnits[0]", line: 11 },
      { path: "allowedMounts[0]", line: 12 },
    ]);
    expect(problems[0]?.message).toContain('"opt/app/" is not an absolute program path, or a directory ending in "/"');
    expect(problems[2]?.message).toContain("allows every program path, which is no allow-list");
    expect(problems[4]?.message).toBe(
      "7 is not an absolute program path, or a directory ending in /, such as /opt/app/.",
    );
    expect(problems[5]?.message).toContain('"post gres.service" is not a systemd unit name or pattern');
    expect(problems[6]?.message).toContain('"/srv/../etc" is not an absolute mount path');
  });

  it.each([
    ["allowedPrograms: [/opt/app/]", ["allowedUnits", "allowedMounts"]],
    ["allowedUnits: [postgresql.service]", ["allowedPrograms", "allowedMounts"]],
    ["allowedMounts: [/srv/]\nallowedUnits: []", ["allowedPrograms"]],
  ])("refuses %j without the other lists: a list left out must not mean anything goes", (lines, missing) => {
    // Act
    const problems = problemsOf(`${GOOD}${lines}\n`);
    // Assess
    expect(problems.map((p) => p.path)).toEqual(missing);
    expect(problems[0]?.message).toMatch(new RegExp(`^missing; allowed\\w+ is set, so add ${missing[0]} too: `));
  });

  it("lists a missing allow-list key with the file's other problems, not after they are fixed", () => {
    // Act
    const problems = problemsOf(`${GOOD}proxy: ftp://proxy\nallowedPrograms: [/opt/app/]\nallowedUnits: []\n`);
    // Assess
    expect(problems.map((p) => p.path)).toEqual(["allowedMounts", "proxy"]);
  });

  it("accepts empty lists: nothing of that kind may run", () => {
    // Act
    const result = loadAgentConfigText(
      `${GOOD}allowedPrograms: []\nallowedUnits: [postgresql.service]\nallowedMounts: []\n`,
    );
    // Assess
    expect(result.ok && allowListOf(result.config)).toEqual({
      programs: [],
      units: ["postgresql.service"],
      mounts: [],
    });
  });

  it("refuses a watchdog device that is not an absolute path, and unknown watchdog keys", () => {
    // Act
    const problems = problemsOf(`${GOOD}watchdog:\n  device: watchdog0\n  timeout: 8\n`);
    // Assess
    expect(problems.map(({ path, line }) => ({ path, line }))).toEqual([
      { path: "watchdog.device", line: 6 },
      { path: "watchdog.timeout", line: 7 },
    ]);
    expect(problems[0]?.message).toContain("is not an absolute path");
  });

  it("reports every problem at once, each with its path and line", () => {
    // Prepare: a plain-http URL, a bad id, a misspelt key (so region is missing), a bad proxy.
    const text = "heartbeatUrl: http://example.com/v1/heartbeat\nnodeId: db a\nreigon: us-east-1\nproxy: ftp://proxy\n";
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map(({ path, line }) => ({ path, line }))).toEqual([
      { path: "heartbeatUrl", line: 1 },
      { path: "region", line: 1 },
      { path: "nodeId", line: 2 },
      { path: "reigon", line: 3 },
      { path: "proxy", line: 4 },
    ]);
    expect(problems[0]?.message).toContain("use https://");
    expect(problems[1]?.message).toContain("missing; add the cluster's region");
    expect(problems[3]?.message).toContain(
      "allowed keys: heartbeatUrl, nodeId, region, proxy, watchdog, logLevel, allowedPrograms, allowedUnits, allowedMounts",
    );
  });

  it.each([
    ["http://localhost:4010/v1/heartbeat", true],
    ["http://127.0.0.1:4010", true],
    ["http://[::1]:4010", true],
    ["http://10.0.0.5/v1/heartbeat", false],
    ["ftp://example.com", false],
    ["https://user:secret@example.com", false],
    ["https://example.com/v1/heartbeat?x=1", false],
    ["not a url", false],
  ])("accepts plain http only to a loopback host: %s", (url, accepted) => {
    // Act
    const result = loadAgentConfigText(GOOD.replace(/heartbeatUrl: .*/, `heartbeatUrl: "${url}"`));
    // Assess
    expect(result.ok).toBe(accepted);
  });

  it("reports a YAML syntax error alone, with its line", () => {
    // Act
    const problems = problemsOf("nodeId: db-a\nregion: [us-east-1\n");
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^YAML: /);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ["", "the file is empty"],
    ["- a list\n", "is not the agent configuration"],
    ["nodeId: db-a\nnodeId: db-b\n", "YAML: "],
  ])("refuses %j with a clear message", (text, message) => {
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems[0]?.message).toContain(message);
  });
});

describe("readAgentConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-agent-config-"));

  it("throws an AgentConfigError whose message lists each problem with file and line", () => {
    // Prepare
    const path = join(dir, "agent.yaml");
    writeFileSync(path, GOOD.replace("region: us-east-1", "region: Virginia"));
    // Act
    const act = () => readAgentConfig(path);
    // Assess
    expect(act).toThrow(AgentConfigError);
    expect(act).toThrow(`${path}: 1 problem in the agent configuration:\n  ${path}:4 region: "Virginia" is not`);
  });

  it("says what to do when the file is missing", () => {
    // Act
    const act = () => readAgentConfig(join(dir, "missing.yaml"));
    // Assess
    expect(act).toThrow(/the file does not exist; create it/);
  });

  it("reads a good file", () => {
    // Prepare
    const path = join(dir, "good.yaml");
    writeFileSync(path, GOOD);
    // Act
    const config = readAgentConfig(path);
    // Assess
    expect(config.nodeId).toBe("db-a");
  });
});
