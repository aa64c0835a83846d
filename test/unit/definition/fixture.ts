/** A small valid definition as plain data; each test breaks one thing in a copy. */
import { parseDefinition, type DefinitionProblem } from "../../../lib/core/definition/index.js";

const VALID = {
  cluster: "orders-db",
  region: "us-east-1",
  nodes: [
    {
      id: "db-a",
      kind: "ec2",
      instanceId: "i-0a1b2c3d4e5f60001",
      availabilityZone: "us-east-1a",
      principal: "arn:aws:iam::123456789012:role/baton-node",
    },
    {
      id: "db-b",
      kind: "ec2",
      instanceId: "i-0a1b2c3d4e5f60002",
      availabilityZone: "us-east-1a",
      principal: "arn:aws:iam::123456789012:role/baton-node",
    },
    {
      id: "office-1",
      kind: "onprem",
      principal: "arn:aws:iam::123456789012:role/baton-node-office-1",
      address: "203.0.113.10",
    },
  ],
  groups: [
    {
      id: "postgres",
      preferredOwners: ["db-a", "db-b"],
      resources: [
        { id: "data", type: "ebs-volume", volumeId: "vol-0a1b2c3d4e5f60001", device: "/dev/xvdf" },
        { id: "pg-mount", type: "mount", volume: "data", path: "/var/lib/postgresql", dependsOn: ["data"] },
        { id: "postgres", type: "systemd", unit: "postgresql.service", dependsOn: ["pg-mount"] },
      ],
    },
    {
      id: "reports",
      preferredOwners: ["office-1", "db-b"],
      resources: [
        {
          id: "report-svc",
          type: "command",
          start: "/opt/reports/start.sh",
          stop: "/opt/reports/stop.sh",
          check: "/opt/reports/check.sh",
        },
      ],
    },
  ],
};

/** A fresh copy of the valid document. */
export function validDocument(): unknown {
  return structuredClone(VALID);
}

/**
 * A copy of the valid document with the value at `path` replaced (added when missing,
 * deleted when `value` is undefined).
 */
export function changed(path: readonly (string | number)[], value: unknown): unknown {
  return changedAll([[path, value]]);
}

/** Several changes applied in turn to one copy. */
export function changedAll(changes: readonly (readonly [readonly (string | number)[], unknown])[]): unknown {
  const document = validDocument();
  for (const [path, value] of changes) {
    let parent = document as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
    const last = path[path.length - 1] ?? "";
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  }
  return document;
}

/** The problems of `document`; an empty list when it is valid. */
export function problemsOf(document: unknown): readonly DefinitionProblem[] {
  const result = parseDefinition(document);
  return result.ok ? [] : result.problems;
}

/** The paths of the problems of `document`. */
export function pathsOf(document: unknown): string[] {
  return problemsOf(document).map((problem) => problem.path);
}
