import { chmodSync, writeFileSync } from "node:fs";

/**
 * The demo's `command` resources: one small Node.js program, written into the run's directory with a
 * shebang naming this Node.js, so a definition can name it as an absolute program path.
 *
 *   service start|stop|check storage RESOURCE          a "storage" step: a marker file, made and removed
 *   service start|stop|check http RESOURCE PORT        an HTTP server on 127.0.0.1:PORT answering
 *                                                      "RESOURCE on NODE" (a daemon left by start)
 *
 * The node comes from $BATON_DEMO_NODE and the run's directory from $BATON_DEMO_DIR (the agent's children
 * inherit its environment). Every start and stop appends `<epoch ms> NODE RESOURCE start|stop` to
 * $BATON_DEMO_DIR/record: a start's time is read before it takes effect, a stop's once the process is gone,
 * so the record errs on the safe side and lib/demo/record.ts can prove no resource ran on two nodes at once.
 */
const SCRIPT = String.raw`
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

const [action, kind, resource, port] = process.argv.slice(2);
const node = process.env.BATON_DEMO_NODE;
const dir = process.env.BATON_DEMO_DIR;
if (!node || !dir || !resource || !["storage", "http"].includes(kind)) {
  console.error("usage: service start|stop|check|serve storage|http RESOURCE [PORT], with BATON_DEMO_NODE and BATON_DEMO_DIR set");
  process.exit(2);
}
const state = join(dir, "nodes", node);
const marker = join(state, resource + ".running");
const pidFile = join(state, resource + ".pid");
const record = (at, what) => appendFileSync(join(dir, "record"), at + " " + node + " " + resource + " " + what + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pidOf = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie (dead, not yet reaped) has stopped serving.
    return !/^\d+ \(.*\) Z/.test(readFileSync("/proc/" + pid + "/stat", "utf8"));
  } catch {
    return true;
  }
};
const answers = async () => {
  try {
    const response = await fetch("http://127.0.0.1:" + port + "/", { signal: AbortSignal.timeout(3000) });
    return (await response.text()).includes(" on " + node);
  } catch {
    return false;
  }
};

if (action === "serve") {
  const since = new Date().toISOString();
  const server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/plain" }).end(resource + " on " + node + " since " + since + "\n");
  });
  server.once("error", (error) => {
    console.error(String(error));
    process.exit(1);
  });
  server.listen(Number(port), "127.0.0.1");
  process.once("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
} else if (action === "start") {
  mkdirSync(state, { recursive: true });
  record(Date.now(), "start");
  if (kind === "storage") writeFileSync(marker, "");
  else {
    const child = spawn(process.execPath, [process.argv[1], "serve", kind, resource, port], {
      detached: true,
      stdio: "ignore",
    });
    writeFileSync(pidFile, String(child.pid));
    child.unref();
    for (let waited = 0; !(await answers()); waited += 100) {
      if (waited > 5000 || !alive(child.pid)) {
        console.error(resource + ": nothing answered on port " + port);
        process.exit(1);
      }
      await sleep(100);
    }
  }
} else if (action === "stop") {
  if (kind === "storage") rmSync(marker, { force: true });
  else {
    const pid = pidOf();
    if (pid !== undefined && alive(pid)) {
      process.kill(pid, "SIGTERM");
      while (alive(pid)) await sleep(20);
    }
    rmSync(pidFile, { force: true });
  }
  record(Date.now(), "stop");
} else if (action === "check") {
  const pid = pidOf();
  const healthy = kind === "storage" ? existsSync(marker) : pid !== undefined && alive(pid) && (await answers());
  process.exit(healthy ? 0 : 1);
} else {
  console.error("unknown action " + action);
  process.exit(2);
}
`;

/** Writes the service program to `path` (executable) and returns the path. */
export function writeServiceProgram(path: string): string {
  writeFileSync(path, `#!${process.execPath}\n${SCRIPT}`, "utf8");
  chmodSync(path, 0o755);
  return path;
}
