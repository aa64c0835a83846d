/** Specs, groups and answers as the heartbeat function sends them, for the agent's tests. */
import type { HeartbeatBody } from "../../../lib/agent/agent.js";
import type { AgentResourceSpec, CommandSpec, MountSpec, SystemdSpec } from "../../../lib/core/agent/spec.js";

const COMMON = {
  dependsOn: [] as string[],
  pendingTimeoutMs: 180_000,
  stopTimeoutMs: 1_000,
  restart: { threshold: 3, periodMs: 900_000 },
};

export const PG_MOUNT: MountSpec = {
  ...COMMON,
  id: "pg-mount",
  type: "mount",
  path: "/var/lib/postgresql",
  volumeId: "vol-0a1b2c3d4e5f60001",
  device: "/dev/xvdf",
};

export const POSTGRES: SystemdSpec = {
  ...COMMON,
  id: "postgres",
  type: "systemd",
  dependsOn: ["pg-mount"],
  unit: "postgresql.service",
};

export const EXPORTER: CommandSpec = {
  ...COMMON,
  id: "exporter",
  type: "command",
  dependsOn: ["postgres"],
  start: ["/opt/exporter/start.sh"],
  stop: ["/opt/exporter/stop.sh"],
  check: ["/opt/exporter/check.sh", "--quick"],
};

export const PG_SPECS: readonly AgentResourceSpec[] = [PG_MOUNT, POSTGRES, EXPORTER];

export const REPORTS: SystemdSpec = { ...COMMON, id: "reports", type: "systemd", unit: "reports.service" };

export const TIMING = { leaseDurationMs: 10_000, heartbeatIntervalMs: 2_000 } as const;

export interface WireGroup {
  id: string;
  owner: string | null;
  epoch: number;
  resources: Record<string, "online" | "offline">;
  agentResources: AgentResourceSpec[];
}

/** A group as the answer carries it: every resource `desired` when `owner` is db-a, else offline. */
export function wireGroup(
  id: string,
  specs: readonly AgentResourceSpec[],
  owner: string | null,
  epoch: number,
  desired: "online" | "offline" = "online",
): WireGroup {
  return {
    id,
    owner,
    epoch,
    resources: Object.fromEntries(specs.map((s) => [s.id, owner === "db-a" ? desired : "offline"])),
    agentResources: [...specs],
  };
}

/** The 200 answer's body to `sent`. */
export function answerBody(
  sent: Pick<HeartbeatBody, "nodeId" | "bootId" | "seq">,
  groups: readonly WireGroup[],
  timing: { leaseDurationMs: number; heartbeatIntervalMs: number } = TIMING,
): Record<string, unknown> {
  return {
    cluster: "orders-db",
    nodeId: sent.nodeId,
    bootId: sent.bootId,
    seq: sent.seq,
    receivedAt: "2026-11-22T03:00:00.123Z",
    ...timing,
    groups,
  };
}
