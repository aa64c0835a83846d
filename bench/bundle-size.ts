import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnElement } from "aws-cdk-lib";
import { BatonStack } from "../lib/infra/baton-stack.js";
import { ClusterDefinitionSource } from "../lib/infra/definition-source.js";

/** Synthesizes the example stack with its real bundling settings and sums the heartbeat asset's files, in bytes. */
export function bundledHeartbeatSize(): number {
  const outdir = mkdtempSync(join(tmpdir(), "baton-bench-"));
  try {
    const app = new App({ outdir });
    const stack = new BatonStack(app, "BatonBench", {
      source: ClusterDefinitionSource.fromFile("examples/cluster.yaml"),
    });
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
    };
    const logicalId = stack.getLogicalId(stack.cluster.heartbeatFunction.node.defaultChild as CfnElement);
    const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
    if (!key) throw new Error(`no code asset found for ${logicalId}`);
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, "")}`);
    return readdirSync(dir, { recursive: true })
      .map((name) => statSync(join(dir, String(name))))
      .filter((s) => s.isFile())
      .reduce((sum, s) => sum + s.size, 0);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
