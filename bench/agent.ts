// npm run bench:agent — what a real baton-agent process costs, and how early it stops when cut off.
//
// 1. One agent (the release bundle) against the real heartbeat handler over moto, behind the SigV4-checking
//    test gateway, heartbeating every second with two groups online (two `command` resources each, checked
//    every 5 s), run with the unit's node flags (AGENT_NODE_FLAGS): its resident memory and its CPU share over one
//    minute, read from /proc, after a warm-up of 30 s (the first seconds of a node process hold its JIT's work and
//    the memory reducer's full collections, a one-off for a daemon that runs for months).
// 2. Cut-off runs: the owner's heartbeats are black-holed; from the receipt time of its last acknowledged
//    heartbeat (the table's `receivedAt`, later than its send) to its last resource stopped, against the
//    earliest moment the controller may take the groups (lease + grace after that receipt).
//
// `npm run bench:agent -- --profile`: node-a runs an unminified bundle with `--perf-basic-prof` and Linux perf samples
// it during the minute of step 1; where its CPU went is printed after the figures (bench/agent-cpu-profile.ts).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { takeoverGraceMs } from "../lib/core/controller/timing.js";
import { selfFenceDeadlineMs } from "../lib/core/self-fencing.js";
import {
  AGENT_NODE_FLAGS,
  type AgentProcess,
  buildAgentBundle,
  killAllAgents,
  onPremNodeKeys,
  spawnAgent,
} from "../test/support/agent-process.js";
import { motoEnvironment, resetMoto, startMotoServer } from "../test/support/moto-server.js";
import { type AgentCluster, startAgentCluster } from "../test/integration/support/agent-cluster.js";
import { readRecord } from "../test/integration/support/agent-record.js";
import { printProfile, profiledNodeFlags, startPerf } from "./agent-cpu-profile.js";

const PROFILE = parseArgs({ options: { profile: { type: "boolean", default: false } } }).values.profile;
const NODES = ["node-a", "node-b"] as const;
const GROUPS = ["alpha", "beta"];
const WARM_UP_MS = 30_000;
const MEASURE_MS = 60_000;
const CUT_OFF_RUNS = 4;
const FIXTURE = fileURLToPath(new URL("../test/fixtures/agent/recorded-service.sh", import.meta.url));
const TIMING = { heartbeatInterval: "1s", leaseDuration: "6s", controllerTick: "1s" };
const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux

function document(keys: ReturnType<typeof onPremNodeKeys>, dir: string): Record<string, unknown> {
  const argv = (action: string, resource: string) => [FIXTURE, action, resource, dir];
  return {
    cluster: "agent-bench",
    region: "us-east-1",
    timing: TIMING,
    nodes: NODES.map((id, i) => ({ id, kind: "onprem", principal: keys[id]!.principal, address: `192.0.2.${10 + i}` })),
    groups: GROUPS.map((group) => ({
      id: group,
      preferredOwners: [...NODES],
      failover: { threshold: 100, period: "6h" },
      resources: ["svc", "proxy"].map((name, i) => ({
        id: `${group}-${name}`,
        type: "command",
        start: argv("start", `${group}-${name}`),
        stop: argv("stop", `${group}-${name}`),
        check: argv("check", `${group}-${name}`),
        stopTimeout: "500ms",
        ...(i > 0 ? { dependsOn: [`${group}-svc`] } : {}),
      })),
    })),
  };
}

/** CPU ticks (user + system) of the process itself, and of its waited-for children (the checks it runs). */
function cpuTicks(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  // After the command name: state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
  return { own: fields[11]! + fields[12]!, children: fields[13]! + fields[14]! };
}

function residentMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const runningOn = (dir: string, node: string): Set<string> => {
  const on = new Set<string>();
  for (const l of readRecord(dir).filter((r) => r.node === node)) {
    if (l.action === "start") on.add(l.resource);
    else on.delete(l.resource);
  }
  return on;
};

async function measure(agent: AgentProcess, dir: string): Promise<string[]> {
  const pid = agent.child.pid!;
  const stopPerf = PROFILE ? startPerf(pid, dir) : undefined;
  const start = cpuTicks(pid);
  const startedAt = performance.now();
  const rss: number[] = [];
  while (performance.now() - startedAt < MEASURE_MS) {
    rss.push(residentMiB(pid));
    await sleep(1_000);
    agent.lines.length = 0; // the test helper keeps every log line; the agent does not
  }
  const end = cpuTicks(pid);
  await stopPerf?.();
  const seconds = (performance.now() - startedAt) / 1000;
  const share = (ticks: number) => ((ticks / CLOCK_TICKS / seconds) * 100).toFixed(2);
  return [
    `  resident memory: max ${Math.max(...rss).toFixed(1)} MiB (${((Math.max(...rss) * 1048576) / 1e6).toFixed(1)} MB), last ${rss.at(-1)!.toFixed(1)} MiB (target < 60 MB)`,
    `  CPU share of one core: ${share(end.own - start.own)} % (target < 1 %); the check programs it ran: ${share(end.children - start.children)} % more`,
  ];
}

async function cutOff(
  cluster: AgentCluster,
  dir: string,
  keys: ReturnType<typeof onPremNodeKeys>,
  owner: string,
): Promise<string> {
  const other = owner === "node-a" ? "node-b" : "node-a";
  await until(`${owner} running every resource`, () => runningOn(dir, owner).size === 4, 60_000);
  await sleep(1_500); // a few ordinary heartbeats
  cluster.gateway.block(keys[owner]!.accessKeyId, "blackhole");
  await until(`${owner} stopping everything`, () => runningOn(dir, owner).size === 0);
  const lastStop = Math.max(
    ...readRecord(dir)
      .filter((l) => l.node === owner && l.action === "stop")
      .map((l) => l.at),
  );
  const receipt = (await cluster.liveness(owner as "node-a"))!.receivedAt;
  await until(`${other} running every resource`, () => runningOn(dir, other).size === 4, 60_000);
  cluster.gateway.unblock(keys[owner]!.accessKeyId);
  const earliest = cluster.timing.leaseDurationMs + takeoverGraceMs(cluster.timing);
  const stopped = lastStop - receipt;
  return `  ${owner} cut off: last resource stopped ${stopped} ms after its last acknowledged heartbeat; the controller may take the groups from ${earliest} ms (agent deadline ${selfFenceDeadlineMs(cluster.timing)} ms) | ${stopped < earliest ? "before" : "AFTER"}`;
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  const dir = mkdtempSync(join(tmpdir(), "baton-bench-agent-"));
  const keys = onPremNodeKeys(NODES);
  let cluster: AgentCluster | undefined;
  try {
    const bundle = await buildAgentBundle(join(dir, "baton-agent.mjs"), { readable: PROFILE });
    cluster = await startAgentCluster(keys as never, document(keys, dir), async () => {
      Object.assign(process.env, motoEnvironment(moto.endpoint));
      await resetMoto(moto.endpoint);
    });
    const agents: Record<string, AgentProcess> = {};
    for (const node of NODES) {
      agents[node] = spawnAgent({
        bundle,
        nodeId: node,
        heartbeatUrl: cluster.gateway.url,
        keys: keys[node]!,
        dir,
        env: { BATON_TEST_NODE: node },
        ...(PROFILE && node === "node-a" ? { nodeFlags: profiledNodeFlags(dir) } : {}),
      });
    }
    await until("both groups online on node-a", () => runningOn(dir, "node-a").size === 4, 60_000);
    await sleep(WARM_UP_MS);
    console.log(
      `One agent (node ${AGENT_NODE_FLAGS.join(" ")}, as packaging/baton-agent.service runs it) over ${MEASURE_MS / 1000} s after ${WARM_UP_MS / 1000} s of warm-up, heartbeat every 1 s, two groups of two command resources online (each checked every 5 s):`,
    );
    const heartbeats = () => cluster!.handled.filter((h) => h.nodeId === "node-a").length;
    const before = heartbeats();
    for (const line of await measure(agents["node-a"]!, dir)) console.log(line);
    if (PROFILE) await printProfile(dir, bundle, agents["node-a"]!.child.pid!, heartbeats() - before);
    console.log(
      `\nCut off from the API (lease 6 s, grace ${takeoverGraceMs(cluster.timing) / 1000} s), ${CUT_OFF_RUNS} runs, the groups moving back and forth:`,
    );
    let owner = "node-a";
    for (let run = 0; run < CUT_OFF_RUNS; run++) {
      console.log(await cutOff(cluster, dir, keys, owner));
      owner = owner === "node-a" ? "node-b" : "node-a";
    }
  } finally {
    await killAllAgents();
    await cluster?.close();
    await moto.stop();
  }
}

await main();
