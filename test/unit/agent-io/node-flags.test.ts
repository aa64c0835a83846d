import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS } from "../../../lib/demo/agent-process.js";

/** The node flags of each command line that runs the bundle: the words between node and the bundle's path. */
function flagsOfCommands(text: string, prefix: RegExp): string[][] {
  return text
    .split("\n")
    .filter((line) => prefix.test(line) && line.includes("/opt/baton/baton-agent.mjs --config"))
    .map((line) => {
      const words = line.replace(prefix, "").split(/\s+/);
      return words.slice(1, words.indexOf("/opt/baton/baton-agent.mjs"));
    });
}

describe("the node flags the agent runs with", () => {
  it("are the same in packaging/baton-agent.service as where tests, the demo and the bench start it", () => {
    const unit = readFileSync("packaging/baton-agent.service", "utf8");
    expect(flagsOfCommands(unit, /^ExecStart=/)).toEqual([[...AGENT_NODE_FLAGS]]);
  });

  it("are kept by the ExecStart docs/agent-install.md's user data writes for node-22", () => {
    const guide = readFileSync("docs/agent-install.md", "utf8");
    const commands = flagsOfCommands(guide, /^.*ExecStart=\\n?ExecStart=/);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toEqual([...AGENT_NODE_FLAGS]);
  });

  it("are accepted by this node (a flag V8 no longer knows stops node at once: the unit would never start)", () => {
    expect(execFileSync(process.execPath, [...AGENT_NODE_FLAGS, "-e", "process.stdout.write('ok')"]).toString()).toBe(
      "ok",
    );
  });
});
