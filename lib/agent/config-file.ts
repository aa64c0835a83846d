/** Reads the agent's configuration file; the parsing and its messages are `lib/core/agent/config.ts`'s. */
import { readFileSync } from "node:fs";
import { AgentConfigError, loadAgentConfigText, type AgentConfig } from "../core/agent/config.js";

/**
 * The configuration at `path`.
 * @throws AgentConfigError listing every problem, with its line, or saying why the file could not be read
 */
export function readAgentConfig(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AgentConfigError([{ path: "", message: unreadable(error) }], path, { cause: error });
  }
  const result = loadAgentConfigText(text);
  if (!result.ok) throw new AgentConfigError(result.problems, path);
  return result.config;
}

function unreadable(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case "ENOENT":
      return "the file does not exist; create it (docs/agent.md shows one), or name another with --config.";
    case "EACCES":
    case "EPERM":
      return "the file cannot be read by this user; make it readable by the user baton-agent runs as (it holds no secrets).";
    case "EISDIR":
      return "this is a directory; name the configuration file itself, such as /etc/baton/agent.yaml.";
    default:
      return `the file could not be read (${error instanceof Error ? error.message : String(error)}).`;
  }
}
