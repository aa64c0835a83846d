import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// `npm run demo -- --ci` as CI runs it: the whole local cluster (dynalite, the SigV4 gateway, the real
// heartbeat and controller functions, three real agents), the scripted scenario, its verdict. Once with
// moto_server on the PATH (EC2 nodes, a volume, an Elastic IP and a DNS record move too) and once with the
// PATH hiding it (DynamoDB alone, on-premise groups only).

const FINAL =
  /^demo: failover of (\S+) from (\S+) to (\S+) in (\d+\.\d) s \(detection (\d+\.\d) s\), bound (\d+\.\d) s$/;

/**
 * The bounds, written out from examples/demo.yaml's numbers (heartbeat 0.5 s, lease 4 s, tick 1 s): the
 * controller may act after lease + grace (grace = max(2 s, lease / 5) = 2 s), seen within 2 ticks; then one
 * tick per controller pass of the plan, and per agent resource 2 heartbeats + a tick + the demo services'
 * 1 s to start.
 *   web (no moto): 4 + 2 + 2 + 2 × (1 + 1 + 1) = 14 s
 *   store (moto): 4 + 2 + 2 + (fence 2 + volume 2 + Elastic IP 1 + DNS 1) + 1 × (1 + 1 + 1) = 17 s
 */
const BOUNDS = { web: 14, store: 17 } as const;

function runDemo(path: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bin/demo.ts", "--ci"],
      { env: { ...process.env, PATH: path }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** Processes still running from the demo's directory (agents, services): none after it exits. */
function leftOver(dir: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.includes(dir));
}

function judge(result: { code: number; stdout: string; stderr: string }, group: keyof typeof BOUNDS) {
  const lines = result.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  const dir = /in (\/\S+baton-demo-\S+)$/m.exec(result.stdout)?.[1] ?? "";
  return { lines, last, match: FINAL.exec(last), dir, group };
}

describe("npm run demo -- --ci", () => {
  it("with moto_server: store fails over between ec2-a and ec2-b (fenced, volume, Elastic IP and DNS moved) within 17 s, nothing runs twice", async () => {
    // Act
    const result = await runDemo(process.env.PATH ?? "");
    // Assess
    const { lines, last, match, dir } = judge(result, "store");
    console.log(`demo --ci with moto_server: ${(result.ms / 1000).toFixed(1)} s; ${last}`);
    if (result.code !== 0) console.error(`${result.stdout}\n${result.stderr}`);
    expect(result.code).toBe(0);
    expect(last).toMatch(FINAL);
    const [, group, from, to, failover, detection, bound] = match!;
    // From ec2-a, or from ec2-b where a busy machine placed it before ec2-a's agent was ready (failback never).
    expect(group).toBe("store");
    expect([from, to].sort()).toEqual(["ec2-a", "ec2-b"]);
    expect(lines.some((l) => l.includes(`store is online on ${from}`))).toBe(true);
    expect(Number(bound)).toBe(BOUNDS.store);
    expect(Number(failover)).toBeLessThanOrEqual(BOUNDS.store);
    expect(Number(detection)).toBeLessThanOrEqual(Number(failover));
    expect(lines.some((l) => /store step fence i-\S+: done: instance i-\S+ is stopped/.test(l))).toBe(true);
    expect(lines.some((l) => /store step attach-volume store-vol: done/.test(l))).toBe(true);
    expect(lines.some((l) => /store step associate-address store-ip: done/.test(l))).toBe(true);
    expect(lines.some((l) => /store step upsert-record store-dns: done/.test(l))).toBe(true);
    expect(selfFenced(lines, "web")).toMatch(/^node-\d$/);
    expect(lines).toContain(
      lines.find((l) => l.endsWith("checked: no resource ran on two nodes at once (the services' own record)")),
    );
    expect(dir).not.toBe("");
    expect(existsSync(dir)).toBe(false);
    expect(leftOver(dir)).toEqual([]);
  }, 240_000);

  it("without moto_server on the PATH: web fails over from node-1 to node-2 within 14 s on dynalite alone, and fails back", async () => {
    // Prepare: the PATH without any directory holding moto_server.
    const path = (process.env.PATH ?? "")
      .split(":")
      .filter((d) => d !== "" && !existsSync(join(d, "moto_server")))
      .join(":");
    // Act
    const result = await runDemo(path);
    // Assess
    const { lines, last, match, dir } = judge(result, "web");
    console.log(`demo --ci without moto_server: ${(result.ms / 1000).toFixed(1)} s; ${last}`);
    if (result.code !== 0) console.error(`${result.stdout}\n${result.stderr}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("moto_server is not on the PATH");
    expect(last).toMatch(FINAL);
    const [, group, from, to, failover, detection, bound] = match!;
    expect([group, from, to]).toEqual(["web", "node-1", "node-2"]);
    expect(Number(bound)).toBe(BOUNDS.web);
    expect(Number(failover)).toBeLessThanOrEqual(BOUNDS.web);
    expect(Number(detection)).toBeLessThanOrEqual(Number(failover));
    expect(lines.some((l) => /failback \(immediate\): web is back on node-1/.test(l))).toBe(true);
    expect(selfFenced(lines, "api")).toMatch(/^node-\d$/);
    expect(lines.some((l) => /ec2-|store/.test(l))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(leftOver(dir)).toEqual([]);
  }, 240_000);
});

/**
 * The node the demo cut off as `group`'s owner (its preferred owner unless the group moved before the cut), when it
 * stopped the group for want of a lease; undefined when no such line follows the cut.
 */
function selfFenced(lines: readonly string[], group: string): string | undefined {
  const at = lines.findIndex((l) => new RegExp(`next: \\S+, owner of ${group}, is cut off`).test(l));
  const cut = /next: (\S+),/.exec(lines[at] ?? "")?.[1];
  if (cut === undefined) return undefined;
  const stopped = new RegExp(`${cut} +group ${group} stopped \\(lease lost\\)`);
  return lines.slice(at + 1).some((l) => stopped.test(l)) ? cut : undefined;
}
