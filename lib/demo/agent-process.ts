import { type ChildProcess, execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { ACCOUNT } from "./account.js";

/**
 * Real `baton-agent` processes for tests and benches: the bundle `npm run build:agent` makes, run with
 * `node <bundle> --config <file>`, each with its own configuration file and its own credentials in its
 * environment (the standard chain's first source), against a heartbeat URL such as the test gateway's
 * (test/support/heartbeat-gateway.ts). Its stdout is read as the JSON log lines it is (docs/agent.md).
 *
 *   const bundle = await buildAgentBundle("/tmp/x/baton-agent.mjs");
 *   const keys = onPremNodeKeys(["node-a"]);      // the definition's `principal`, and the gateway's identities
 *   const agent = spawnAgent({ bundle, nodeId: "node-a", heartbeatUrl: gateway.url, keys: keys["node-a"], dir });
 *   await agent.waitForLine((l) => l.message.startsWith("joined cluster"));
 *   ...
 *   await killAllAgents();                         // in afterAll: every process spawned here, whatever happened
 */

/** One node's test credentials and the IAM identity the gateway proves for them. */
export interface NodeKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** What API Gateway's IAM authorizer reports for this key: a session of the node's role. */
  readonly userArn: string;
  /** The node's `principal` in the cluster definition (an on-premise node's role). */
  readonly principal: string;
}

/**
 * Static credentials for on-premise nodes: node `x` signs as a session of the role `baton-node-x`, as
 * IAM Roles Anywhere gives it. Pass the result to `identitiesOf` (heartbeat-gateway.ts) for the gateway.
 */
export function onPremNodeKeys(nodeIds: readonly string[]): Record<string, NodeKeys> {
  return Object.fromEntries(
    nodeIds.map((nodeId) => {
      const tag = nodeId.toUpperCase().replace(/[^A-Z0-9]/g, "");
      const role = `baton-node-${nodeId}`;
      return [
        nodeId,
        {
          accessKeyId: `AKIDAGENT${tag}`,
          secretAccessKey: `secret-of-${nodeId}`,
          userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/roles-anywhere-${nodeId}`,
          principal: `arn:aws:iam::${ACCOUNT}:role/${role}`,
        },
      ];
    }),
  );
}

const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Bundles bin/baton-agent.ts with packaging/build-agent.ts, the build the release uses, into `outfile`
 * (an absolute path). Takes about a second. `readable`: not minified, so that a CPU profile names functions.
 */
export async function buildAgentBundle(
  outfile: string,
  options: { readonly readable?: boolean } = {},
): Promise<string> {
  try {
    await promisify(execFile)(
      process.execPath,
      [
        ...["--import", "tsx", "packaging/build-agent.ts", "--entry", "bin/baton-agent.ts", "--outfile", outfile],
        ...(options.readable === true ? ["--readable"] : []),
      ],
      { cwd: REPOSITORY, timeout: 60_000 },
    );
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(`building the agent bundle failed: ${typeof stderr === "string" ? stderr : String(error)}`, {
      cause: error,
    });
  }
  return outfile;
}

export interface AgentProcessOptions {
  /** The bundle from buildAgentBundle. */
  readonly bundle: string;
  readonly nodeId: string;
  /** The heartbeat URL for the configuration file (plain http is accepted to loopback only). */
  readonly heartbeatUrl: string;
  /** @default "us-east-1" */
  readonly region?: string;
  readonly keys: Pick<NodeKeys, "accessKeyId" | "secretAccessKey">;
  /** Where the configuration file is written (`<dir>/<nodeId>.agent.yaml`). */
  readonly dir: string;
  /**
   * More environment for the agent, inherited by the programs it runs. The agent gets ONLY this, the
   * credentials, AWS_REGION, PATH and AWS_EC2_METADATA_DISABLED: nothing of the test's own AWS
   * settings (moto's endpoint and keys) or proxies leaks into it.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * More flags for node itself, after AGENT_NODE_FLAGS and before the bundle (`--perf-basic-prof` for a profile:
   * NODE_OPTIONS refuses V8's flags).
   */
  readonly nodeFlags?: readonly string[];
}

/** One JSON log line of the agent, with when the test read it (wall clock, ms). */
export interface AgentLogLine {
  readonly readAt: number;
  readonly time: string;
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly [attribute: string]: unknown;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The flags packaging/baton-agent.service runs node with (its ExecStart), so that tests, the demo and
 * `npm run bench:agent` measure what a node runs: no optimizing compiler, about 5 MiB less resident memory
 * (docs/agent.md, "Memory"). test/unit/agent-io/node-flags.test.ts checks that the unit says the same.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--no-turbofan", "--no-maglev"];

const running = new Set<AgentProcess>();
// A worker that dies without running afterAll must not leave agents heartbeating.
process.once("exit", () => {
  for (const agent of running) agent.child.kill("SIGKILL");
});

/** A running `baton-agent`; see spawnAgent. */
export class AgentProcess {
  /** Every log line so far, in order. */
  readonly lines: AgentLogLine[] = [];
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private stderr = "";
  private partial = "";

  constructor(
    readonly nodeId: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => this.read(chunk));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-8_000)));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit, once the process has ended. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** The first line from index `after` on that `match` accepts, with its index; fails after `timeoutMs`. */
  async waitForLine(
    match: (line: AgentLogLine) => boolean,
    { after = 0, timeoutMs = 15_000 }: { after?: number; timeoutMs?: number } = {},
  ): Promise<{ line: AgentLogLine; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (let index = after; ;) {
      for (; index < this.lines.length; index++) {
        const line = this.lines[index]!;
        if (match(line)) return { line, index };
      }
      if (this.exit !== undefined)
        throw new Error(`${this.nodeId}'s agent exited before the line came\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.nodeId}: no such log line within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(20);
    }
  }

  /** Sends a signal (SIGTERM: the agent leaves the cluster). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILL, and waits for the exit. */
  async kill(): Promise<ProcessExit> {
    if (this.exit === undefined) this.child.kill("SIGKILL");
    return this.exited;
  }

  /** The last log lines and stderr, for a failure message. */
  tail(count = 30): string {
    const lines = this.lines.slice(-count).map((line) => `  ${JSON.stringify(line)}`);
    const stderr = this.stderr.trim() === "" ? "" : `\n  stderr: ${this.stderr.trim()}`;
    return `last ${lines.length} log lines of ${this.nodeId} (pid ${this.pid ?? "?"}):\n${lines.join("\n")}${stderr}`;
  }

  private read(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split("\n");
    this.partial = parts.pop() ?? "";
    const readAt = Date.now();
    for (const part of parts) {
      if (part.trim() === "") continue;
      try {
        this.lines.push({ ...(JSON.parse(part) as AgentLogLine), readAt });
      } catch {
        // Not JSON: the agent writes only JSON on stdout, so keep it where a failure message shows it.
        this.lines.push({ readAt, time: "", level: "error", message: `NOT JSON: ${part}` });
      }
    }
  }
}

/** Writes the agent's configuration file and starts `node <bundle> --config <file>`. */
export function spawnAgent(options: AgentProcessOptions): AgentProcess {
  const config = join(options.dir, `${options.nodeId}.agent.yaml`);
  const region = options.region ?? "us-east-1";
  writeFileSync(
    config,
    `heartbeatUrl: ${options.heartbeatUrl}\nnodeId: ${options.nodeId}\nregion: ${region}\n`,
    "utf8",
  );
  const args = [...AGENT_NODE_FLAGS, ...(options.nodeFlags ?? []), options.bundle, "--config", config];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      AWS_ACCESS_KEY_ID: options.keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.keys.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: "true",
      ...options.env,
    },
  });
  return new AgentProcess(options.nodeId, child);
}

/** Kills every agent spawned here that is still running (SIGKILL) and waits for them: for afterAll. */
export async function killAllAgents(): Promise<void> {
  await Promise.all([...running].map((agent) => agent.kill()));
}
