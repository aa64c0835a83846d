import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./synth.js";

// Three problems the loader reports at once: a bad value, an unknown kind, a dangling reference.
const BROKEN = `cluster: Bad_Name
region: us-east-1
notifications:
  email: [ops@example.com]
nodes:
  - { id: a, kind: ec2, instanceId: i-0a1b2c3d4e5f60001, availabilityZone: us-east-1a, principal: "arn:aws:iam::123456789012:role/n" }
  - { id: b, kind: vm }
groups:
  - id: g
    preferredOwners: [a, ghost]
    resources:
      - { id: ip, type: elastic-ip, allocationId: eipalloc-0a1b2c3d4e5f60001 }
`;

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "baton-cli-"));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function cdkSynth(args: readonly string[]): SpawnSyncReturns<string> {
  const run = spawnSync("npx", ["cdk", "synth", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 100_000,
    env: { ...process.env, CI: "true", CDK_DISABLE_VERSION_CHECK: "true" },
  });
  if (run.error !== undefined) throw run.error;
  return run;
}

describe("npx cdk synth", () => {
  it("with a bad -c config file exits non-zero and lists every problem with its line, without a stack trace", () => {
    // Prepare
    const config = join(directory, "broken.yaml");
    writeFileSync(config, BROKEN);
    // Act
    const run = cdkSynth(["-c", `config=${config}`, "-o", join(directory, "broken.out")]);
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${config}: 3 problems in the cluster definition`);
    expect(run.stderr).toContain(`${config}:1 cluster:`);
    expect(run.stderr).toContain(`${config}:7 nodes[1].kind:`);
    expect(run.stderr).toContain(`${config}:10 groups[0].preferredOwners[1]:`);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(directory, "broken.out", "manifest.json")), "no cloud assembly").toBe(false);
  });

  it("with -c networkInterfaceTag=KEY=VALUE lets AssociateAddress use only interfaces with that tag", () => {
    // Prepare
    const out = join(directory, "tagged.out");
    // Act
    const run = cdkSynth(["-q", "-c", "networkInterfaceTag=baton:cluster=orders=db", "-o", out]);
    // Assess
    expect(run.status, `cdk synth failed:\n${run.stderr}`).toBe(0);
    const template = readFileSync(join(out, "baton-orders-db.template.json"), "utf8");
    expect(template).toContain('"aws:ResourceTag/baton:cluster": "orders=db"');
  });

  it("with a malformed or reserved -c networkInterfaceTag exits non-zero naming the problem, without a stack trace", () => {
    // Prepare
    const attempts = [
      ["networkInterfaceTag=no-separator", "write the tag as KEY=VALUE"],
      ["networkInterfaceTag=aws:cluster=x", 'networkInterfaceTag.key must not start with "aws:"'],
    ] as const;
    for (const [context, message] of attempts) {
      // Act
      const run = cdkSynth(["-q", "-c", context, "-o", join(directory, "bad-tag.out")]);
      // Assess
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(directory, "bad-tag.out", "manifest.json")), "no cloud assembly").toBe(false);
    }
  });

  it("without -c config synthesizes examples/cluster.yaml", () => {
    // Prepare
    const out = join(directory, "example.out");
    // Act
    const run = cdkSynth(["-q", "-o", out]);
    // Assess
    expect(run.status, `cdk synth failed:\n${run.stderr}`).toBe(0);
    expect(existsSync(join(out, "baton-orders-db.template.json"))).toBe(true);
  });
});
