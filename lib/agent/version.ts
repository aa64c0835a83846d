/**
 * The agent's version, as `baton-agent --version` prints it and each heartbeat carries it (`agentVersion`,
 * docs/protocol.md): the package's version (test/unit/agent-io/version.test.ts keeps the two equal). A constant, not
 * a read of package.json, so that the bundled agent carries it without the file.
 */
export const AGENT_VERSION = "0.1.0";
