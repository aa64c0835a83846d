import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { parse } from "yaml";
import { loadDefinitionText } from "../core/definition/index.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import type { MotoIds } from "./local-aws.js";

/** The program path examples/demo.yaml names for the demo's service program. */
export const SERVICE_PLACEHOLDER = "/opt/baton-demo/service";
/** The placeholders of examples/demo.yaml's EC2 side, replaced by moto's ids. */
const EC2_PLACEHOLDERS = {
  instances: ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"],
  volumeId: "vol-0a1b2c3d4e5f60001",
  allocationId: "eipalloc-0a1b2c3d4e5f60001",
  hostedZoneId: "Z0A1B2C3D4E5F6",
} as const;

interface RawNode {
  id: string;
  kind: string;
  instanceId?: string;
}
interface RawGroup {
  id: string;
  preferredOwners: string[];
  resources: { id: string; type: string; start?: unknown }[];
}

/** The EC2 node ids of a demo definition file, in order. */
export function ec2NodesOf(path: string): string[] {
  const document = parse(readFileSync(path, "utf8")) as { nodes?: RawNode[] };
  return (document.nodes ?? []).filter((n) => n.kind === "ec2").map((n) => n.id);
}

export interface DemoDefinition {
  readonly definition: ClusterDefinition;
  /** The definition as the heartbeat function and the controller get it (JSON of the parsed YAML). */
  readonly document: Record<string, unknown>;
  /** The HTTP port each `http` service resource listens on. */
  readonly ports: ReadonlyMap<string, number>;
}

/**
 * The demo's definition from `path` (examples/demo.yaml): the service program's real path, free ports for
 * the services, and either moto's ids for the EC2 side or, without moto, the EC2 nodes and every group that
 * names one left out. Loaded by the real loader: a broken file is refused with its problems.
 */
export async function demoDefinition(
  path: string,
  program: string,
  moto: MotoIds | undefined,
): Promise<DemoDefinition> {
  let text = readFileSync(path, "utf8").replaceAll(SERVICE_PLACEHOLDER, program);
  if (moto) {
    const nodes = Object.values(moto.instances);
    EC2_PLACEHOLDERS.instances.forEach((placeholder, i) => {
      if (nodes[i] !== undefined) text = text.replaceAll(placeholder, nodes[i]);
    });
    text = text
      .replaceAll(EC2_PLACEHOLDERS.volumeId, moto.volumeId)
      .replaceAll(EC2_PLACEHOLDERS.allocationId, moto.allocationId)
      .replaceAll(EC2_PLACEHOLDERS.hostedZoneId, moto.hostedZoneId);
  }
  const document = parse(text) as Record<string, unknown> & { nodes: RawNode[]; groups: RawGroup[] };
  if (!moto) {
    const ec2 = new Set(document.nodes.filter((n) => n.kind === "ec2").map((n) => n.id));
    document.nodes = document.nodes.filter((n) => !ec2.has(n.id));
    document.groups = document.groups.filter((g) => !g.preferredOwners.some((o) => ec2.has(o)));
  }
  // Each http service's port: the one written when it is free, else a free one.
  const ports = new Map<string, number>();
  for (const group of document.groups) {
    for (const resource of group.resources) {
      const argvs = ["start", "stop", "check"].map((k) => (resource as Record<string, unknown>)[k]);
      const start = argvs[0];
      if (!Array.isArray(start) || start[2] !== "http") continue;
      const written = Number(start[4]);
      const port = (await portIsFree(written)) ? written : await freePort();
      ports.set(resource.id, port);
      for (const argv of argvs) if (Array.isArray(argv)) argv[4] = String(port);
    }
  }
  const loaded = loadDefinitionText(JSON.stringify(document));
  if (!loaded.ok) {
    const problems = loaded.problems.map((p) => `  ${JSON.stringify(p)}`).join("\n");
    throw new Error(`${path} does not load as a cluster definition:\n${problems}`);
  }
  return { definition: loaded.definition, document, ports };
}

function portIsFree(port: number): Promise<boolean> {
  if (!Number.isInteger(port) || port <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
