import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AGENT_VERSION } from "../../../lib/agent/version.js";

describe("the agent's version", () => {
  it("is the package's version (package.json), which --version prints and heartbeats carry", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});

describe("baton-agent --version", () => {
  it("prints the version and exits 0, without reading a configuration", () => {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "bin/baton-agent.ts", "--version", "--config", "/nonexistent"],
      {
        encoding: "utf8",
      },
    );
    expect(out).toBe(
      `baton-agent ${(JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version}\n`,
    );
  });
});
