/**
 * A definition whose ids are reserved names (`__proto__`, `constructor`, `toString`), built by hand: the
 * definition's schema refuses them, so only this reaches the code below it. Tests feed it to the core's
 * lookups to show that no id, whatever its name, is taken for a property every object has.
 */
import type { ClusterDefinition, SystemdResource } from "../../lib/core/definition/types.js";

export function systemd(id: string, dependsOn: readonly string[] = []): SystemdResource {
  return {
    id,
    type: "systemd",
    unit: "web.service",
    dependsOn,
    restart: { threshold: 3, periodMs: 900_000 },
    pendingTimeoutMs: 180_000,
    stopTimeoutMs: 1_000,
  };
}

const NODE_ROLE = "arn:aws:iam::123456789012:role/baton-node";

/** Nodes `__proto__`, `constructor` and db-a; group `__proto__` runs `__proto__` -> `constructor` -> `toString`. */
export function reservedDefinition(): ClusterDefinition {
  return {
    cluster: "orders-db",
    region: "us-east-1",
    timing: { heartbeatIntervalMs: 2_000, leaseDurationMs: 10_000, controllerTickMs: 5_000 },
    notifications: { email: [] },
    endpoint: "function-url",
    nodes: [
      {
        id: "__proto__",
        kind: "ec2",
        instanceId: "i-0a1b2c3d4e5f60001",
        availabilityZone: "us-east-1a",
        principal: NODE_ROLE,
      },
      {
        id: "constructor",
        kind: "ec2",
        instanceId: "i-0a1b2c3d4e5f60002",
        availabilityZone: "us-east-1a",
        principal: NODE_ROLE,
      },
      {
        id: "db-a",
        kind: "ec2",
        instanceId: "i-0a1b2c3d4e5f60003",
        availabilityZone: "us-east-1a",
        principal: NODE_ROLE,
      },
    ],
    groups: [
      {
        id: "__proto__",
        preferredOwners: ["db-a", "__proto__", "constructor"],
        failover: { threshold: 2, periodMs: 3_600_000 },
        failback: { mode: "never" },
        fencing: "stop-instance",
        failoverOn: [],
        resources: [systemd("__proto__"), systemd("constructor", ["__proto__"]), systemd("toString", ["constructor"])],
      },
    ],
  };
}
