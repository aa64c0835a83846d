// The node agent: `baton-agent [--config PATH] [--check]` (docs/agent.md). Exit codes: 0 when it left the
// cluster with every resource stopped (or --check found the configuration good), 1 when a resource would
// not stop or on an unexpected error, 2 for a bad configuration or command line.
import { parseArgs } from "node:util";
import { Agent } from "../lib/agent/agent.js";
import { createSuspendAwareClock } from "../lib/agent/clock.js";
import { readAgentConfig } from "../lib/agent/config-file.js";
import { driverFor } from "../lib/agent/drivers/index.js";
import { createHeartbeatClient, HeartbeatClientConfigError } from "../lib/agent/heartbeat-client.js";
import { createLog } from "../lib/agent/log.js";
import { AGENT_VERSION } from "../lib/agent/version.js";
import { openWatchdog, type Watchdog, WatchdogOpenError } from "../lib/agent/watchdog.js";
import { AgentConfigError, allowListOf, DEFAULT_AGENT_CONFIG_PATH } from "../lib/core/agent/config.js";

const USAGE = `usage: baton-agent [--config PATH] [--check] [--version]

  --config PATH  the agent's configuration (default ${DEFAULT_AGENT_CONFIG_PATH})
  --check        check the configuration and exit (0: good, 2: problems listed)
  --version      print the agent's version and exit
  --help         show this help
`;

async function main(): Promise<number> {
  let options: { config?: string; check?: boolean; help?: boolean; version?: boolean };
  try {
    options = parseArgs({
      options: {
        config: { type: "string" },
        check: { type: "boolean" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`baton-agent: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (options.version === true) {
    process.stdout.write(`baton-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  if (options.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const path = options.config ?? DEFAULT_AGENT_CONFIG_PATH;
  let config;
  try {
    config = readAgentConfig(path);
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    // The problems are the message; a stack trace would only bury them.
    process.stderr.write(`${error.message}\n`);
    return 2;
  }

  const log = createLog({ level: config.logLevel });
  // Counts time spent suspended (CLOCK_BOOTTIME via /proc/uptime), so a resume after the lease ran out self-fences.
  const clock = createSuspendAwareClock();
  // Opening the watchdog arms it: not for --check.
  let watchdog: Watchdog | undefined;
  if (config.watchdog !== undefined && options.check !== true) {
    try {
      watchdog = openWatchdog(config.watchdog.device, log);
    } catch (error) {
      if (!(error instanceof WatchdogOpenError)) throw error;
      process.stderr.write(`${path}: watchdog.device: ${error.message}\n`);
      return 2;
    }
  }
  const allowList = allowListOf(config);
  let agent: Agent;
  try {
    agent = new Agent(config.nodeId, {
      // Made again with a new timeout (80% of the interval) when the cluster's heartbeat interval changes.
      transport: (timeoutMs) =>
        createHeartbeatClient({ url: config.heartbeatUrl, region: config.region, proxy: config.proxy, timeoutMs }),
      drivers: (spec) => driverFor(spec, log),
      clock,
      timers: {
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
      },
      log,
      watchdog,
      allowList,
    });
  } catch (error) {
    watchdog?.disarm();
    if (!(error instanceof HeartbeatClientConfigError)) throw error;
    process.stderr.write(`${path}: ${error.message}\n`);
    return 2;
  }
  if (options.check === true) {
    const allowed =
      allowList === undefined
        ? "no allow-list: answers may name any program, unit or mount path"
        : `allow-list: ${allowList.programs.length} program, ${allowList.units.length} unit and ${allowList.mounts.length} mount entries`;
    process.stdout.write(
      `${path}: the configuration is good (node ${config.nodeId}, region ${config.region}; ${allowed}).\n`,
    );
    return 0;
  }
  if (!clock.countsSuspend) {
    log.warn(
      "cannot read /proc/uptime: the agent's clock does not count time spent suspended; do not suspend or hibernate this machine",
    );
  }
  if (allowList !== undefined) {
    log.info("answers may name only the programs, units and mount paths of the allow-list in the configuration", {
      allowedPrograms: [...allowList.programs],
      allowedUnits: [...allowList.units],
      allowedMounts: [...allowList.mounts],
    });
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => agent.leave(signal));
  // systemd's RestartKillSignal (packaging/baton-agent.service): `systemctl restart` is not a leave (docs/agent.md).
  process.on("SIGUSR2", () => agent.leave("SIGUSR2 (restart)", "restart"));
  agent.start();
  const { code } = await agent.finished;
  if (watchdog !== undefined) {
    if (code === 0) watchdog.disarm();
    else {
      // Resources may still run: the reset that follows stops them (unless the agent is back in time).
      log.error(
        `exiting with the watchdog ${config.watchdog?.device ?? ""} armed: the node will be reset when it times out unless baton-agent restarts first`,
      );
    }
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`baton-agent: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
