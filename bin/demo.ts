// npm run demo [-- --ci | --interactive] [--keep] [--definition FILE] [--without-moto]
// A Baton cluster on this machine, failing over (lib/demo; README.md "See it work").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DemoCluster, type NodeCondition } from "../lib/demo/cluster.js";
import { motoOnPath } from "../lib/demo/local-aws.js";
import { runScenario } from "../lib/demo/scenario.js";
import { eventLine, LiveView } from "../lib/demo/view.js";

const USAGE = `usage: npm run demo -- [--ci | --interactive] [--keep] [--definition FILE] [--without-moto]
  (none)         the scripted scenario in a live view: a node dies, its group fails over and back, another is cut off
  --ci           the scripted scenario, one line per event; exit 0 only if the failover kept its bound and no
                 resource ran on two nodes at once
  --interactive  no script: kill (k), pause (p), cut off (c) or restore (r) a node from the keyboard, then its number
  --keep         keep the cluster running after the scenario, until Ctrl-C
  --definition   the cluster definition (default examples/demo.yaml)
  --without-moto do not use moto_server even when it is on the PATH`;

let options;
try {
  options = parseArgs({
    options: {
      ci: { type: "boolean", default: false },
      interactive: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      definition: { type: "string", default: "examples/demo.yaml" },
      "without-moto": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.ci && options.interactive) {
  console.error(`demo: --ci and --interactive do not go together\n${USAGE}`);
  process.exit(2);
}

// The SDK's notice that its releases after January 2027 need Node 22 is for whoever maintains Baton, not for
// someone watching the demo (as in bin/baton).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const startedAt = Date.now();
const dir = mkdtempSync(join(tmpdir(), "baton-demo-"));
const moto = !options["without-moto"] && motoOnPath();
const live = !options.ci && process.stdout.isTTY;
let cluster: DemoCluster | undefined;
let view: LiveView | undefined;
let printed = 0;
let closing: Promise<void> | undefined;

/** Stops every process the demo started and removes its directory; nothing is left listening. */
function shutdown(code: number): Promise<void> {
  closing ??= (async () => {
    view?.stop();
    if (cluster) printNew();
    try {
      await cluster?.close();
      if (code === 130)
        console.log("demo: interrupted; every process it started is stopped, nothing is left listening");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
      process.exit(code);
    }
  })();
  return closing;
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => void shutdown(130));

function printNew(): void {
  if (!cluster || live) return;
  for (; printed < cluster.events.length; printed++) console.log(eventLine(cluster.events[printed]!, startedAt));
}

try {
  const line = `demo: starting ${moto ? "dynalite (DynamoDB) and moto_server (EC2, Route 53)" : "dynalite (DynamoDB; moto_server is not on the PATH, so on-premise groups only)"}, the heartbeat gateway, the controller and the agents in ${dir}`;
  console.log(line);
  cluster = await DemoCluster.start({ definitionPath: options.definition, moto, dir });
  const c = cluster;
  const printer = setInterval(printNew, 100);
  if (live) {
    view = new LiveView(c, startedAt);
    view.start();
  }
  if (options.interactive) {
    await interactive(c, view);
  } else {
    const result = await runScenario(c);
    clearInterval(printer);
    printNew();
    view?.stop();
    view = undefined;
    for (const problem of result.problems) console.log(`demo: FAILED: ${problem}`);
    console.log(result.summary);
    if (options.keep) {
      console.log("demo: the cluster keeps running (--keep); Ctrl-C stops it");
      if (live) {
        view = new LiveView(c, startedAt);
        view.start();
      }
      setInterval(printNew, 100);
      await new Promise(() => undefined);
    }
    await shutdown(result.ok ? 0 : 1);
  }
} catch (error) {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  // What the agents last said, to see why.
  for (const agent of cluster?.agents.values() ?? []) console.error(agent.tail(40));
  await shutdown(1);
}

/** Keys: k, p, c or r, then a node's number; q or Ctrl-C quits. */
async function interactive(c: DemoCluster, liveView: LiveView | undefined): Promise<void> {
  if (!process.stdin.isTTY) throw new Error("--interactive needs a terminal");
  const nodes = c.nodeIds;
  const actions: Record<string, { name: string; run: (id: string) => Promise<void> | void; when: NodeCondition[] }> = {
    k: { name: "kill", run: (id) => c.kill(id), when: ["up", "cut off"] },
    p: { name: "pause", run: (id) => c.pause(id), when: ["up", "cut off"] },
    c: { name: "cut off", run: (id) => c.cutOff(id), when: ["up"] },
    r: { name: "restore", run: (id) => c.restore(id), when: ["killed", "paused", "cut off"] },
  };
  const help = `keys: k kill · p pause (SIGSTOP) · c cut off · r restore, then the node's number (${nodes.map((n, i) => `${i + 1} ${n}`).join(", ")}) · q quit`;
  if (liveView) liveView.footer = [help];
  else console.log(help);
  process.stdin.setRawMode(true);
  process.stdin.setEncoding("utf8");
  let pending: string | undefined;
  process.stdin.on("data", (key: string) => {
    if (key === "\u0003" || key === "q") return void shutdown(0);
    if (key in actions) {
      pending = key;
      if (liveView) liveView.footer = [help, `${actions[key]!.name}: which node?`];
      return;
    }
    const node = nodes[Number(key) - 1];
    const action = pending ? actions[pending] : undefined;
    pending = undefined;
    if (liveView) liveView.footer = [help];
    if (!action || !node) return;
    if (!action.when.includes(c.conditions.get(node) ?? "up")) {
      c.note(`${node} is ${c.conditions.get(node)}: cannot ${action.name} it now`);
      return;
    }
    Promise.resolve(action.run(node)).catch((error: unknown) =>
      c.note(`${action.name} ${node} failed: ${String(error)}`),
    );
  });
  await new Promise(() => undefined);
}
