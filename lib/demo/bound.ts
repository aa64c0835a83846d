import type { ClusterDefinition, GroupDefinition } from "../core/definition/types.js";

/** What the demo's services take to start (lib/demo/service-script.ts: a marker file, or a server listening). */
export const DEMO_START_ALLOWANCE_MS = 1_000;

export interface FailoverBound {
  readonly detectionMs: number;
  readonly failoverMs: number;
  /** How the bound adds up, for the output. */
  readonly formula: string;
}

/**
 * The bound on a failover after the owner dies, from the definition's numbers, counted from the death
 * (docs/safety.md): the controller may take the group once the owner has been silent for lease + grace
 * (grace = max(2 s, lease / 5)); the pass that sees it comes within a tick, and takes up to another.
 * Then the plan: a fence (stop-instance) takes a pass to ask and one to see it done; each volume one to
 * detach and one to attach; an Elastic IP or a DNS record one each; each agent resource is told on the
 * target's next heartbeat (an interval), starts (the demo's services: DEMO_START_ALLOWANCE_MS), is reported
 * on the next (an interval) and seen by the next pass (a tick).
 */
export function failoverBound(definition: ClusterDefinition, group: GroupDefinition): FailoverBound {
  const { leaseDurationMs: lease, heartbeatIntervalMs: interval, controllerTickMs: tick } = definition.timing;
  const grace = Math.max(2_000, lease / 5);
  const detectionMs = lease + grace + 2 * tick;
  const count = (type: string) => group.resources.filter((r) => r.type === type).length;
  const controllerPasses =
    (group.fencing === "stop-instance" ? 2 : 0) + 2 * count("ebs-volume") + count("elastic-ip") + count("dns-record");
  const agentResources = count("command") + count("systemd") + count("mount");
  const perResource = 2 * interval + tick + DEMO_START_ALLOWANCE_MS;
  const failoverMs = detectionMs + controllerPasses * tick + agentResources * perResource;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}`;
  const formula =
    `lease ${s(lease)} + grace ${s(grace)} + 2 ticks ${s(2 * tick)}` +
    (controllerPasses > 0 ? ` + ${controllerPasses} passes ${s(controllerPasses * tick)}` : "") +
    ` + ${agentResources} × (2 heartbeats + tick + start ${s(DEMO_START_ALLOWANCE_MS)})`;
  return { detectionMs, failoverMs, formula };
}
