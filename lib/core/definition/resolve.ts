/** Defaults applied to a valid document; every default is listed in `DEFAULTS` and docs/definition.md. */
import { DEFAULTS, REGIONS_WITHOUT_FUNCTION_URLS } from "./limits.js";
import type { ClusterInput, GroupInput, ResourceInput } from "./schema.js";
import type { ClusterDefinition, EndpointKind, FailbackPolicy, GroupDefinition, ResourceDefinition } from "./types.js";

function resolveResource(input: ResourceInput): ResourceDefinition {
  const { dependsOn, restart, pendingTimeout, stopTimeout, ...rest } = input;
  const base = {
    dependsOn: [...(dependsOn ?? [])],
    restart: {
      threshold: restart?.threshold ?? DEFAULTS.restart.threshold,
      periodMs: restart?.period ?? DEFAULTS.restart.periodMs,
    },
    pendingTimeoutMs: pendingTimeout ?? DEFAULTS.pendingTimeoutMs,
  };
  switch (rest.type) {
    case "dns-record":
      return { ...rest, ...base, ttl: rest.ttl ?? DEFAULTS.dnsTtl, target: rest.target ?? DEFAULTS.dnsTarget };
    case "mount":
      // A mount cannot start before its volume is attached, whether or not the user said so.
      return {
        ...rest,
        ...base,
        dependsOn: base.dependsOn.includes(rest.volume) ? base.dependsOn : [...base.dependsOn, rest.volume],
        stopTimeoutMs: stopTimeout ?? DEFAULTS.stopTimeoutMs,
      };
    case "systemd":
    case "command":
      return { ...rest, ...base, stopTimeoutMs: stopTimeout ?? DEFAULTS.stopTimeoutMs };
    default:
      return { ...rest, ...base };
  }
}

function resolveFailback(input: GroupInput["failback"]): FailbackPolicy {
  if (input === undefined) return { mode: DEFAULTS.failbackMode };
  if (input.mode !== "window") return { mode: input.mode };
  return { mode: "window", ...input.window, timeZone: input.timeZone ?? DEFAULTS.failbackTimeZone };
}

function resolveGroup(input: GroupInput, nodes: ClusterInput["nodes"]): GroupDefinition {
  const holdsVolume = input.resources.some((resource) => resource.type === "ebs-volume");
  // Where every owner is an EC2 instance, Baton can stop the old one: fence by default, since an owner cut
  // off from the cluster whose agent is hung would otherwise keep running the group beyond its lease.
  const allEc2 =
    input.preferredOwners.length > 0 &&
    input.preferredOwners.every((id) => nodes.find((node) => node.id === id)?.kind === "ec2");
  return {
    id: input.id,
    preferredOwners: [...input.preferredOwners],
    failover: {
      threshold: input.failover?.threshold ?? Math.max(DEFAULTS.minFailoverThreshold, nodes.length - 1),
      periodMs: input.failover?.period ?? DEFAULTS.failoverPeriodMs,
    },
    failback: resolveFailback(input.failback),
    fencing: input.fencing ?? (holdsVolume || allEc2 ? "stop-instance" : "none"),
    failoverOn: (input.failoverOn ?? []).map((entry) => ({ alarm: entry.name, node: entry.node ?? null })),
    resources: input.resources.map(resolveResource),
  };
}

/** A function URL, except in the regions AWS lists without them, where the HTTP API is the only way in. */
function defaultEndpoint(region: string): EndpointKind {
  return REGIONS_WITHOUT_FUNCTION_URLS.includes(region) ? "http-api" : DEFAULTS.endpoint;
}

export function resolveDefinition(input: ClusterInput): ClusterDefinition {
  return {
    cluster: input.cluster,
    region: input.region,
    timing: {
      heartbeatIntervalMs: input.timing?.heartbeatInterval ?? DEFAULTS.timing.heartbeatIntervalMs,
      leaseDurationMs: input.timing?.leaseDuration ?? DEFAULTS.timing.leaseDurationMs,
      controllerTickMs: input.timing?.controllerTick ?? DEFAULTS.timing.controllerTickMs,
    },
    notifications: { email: [...(input.notifications?.email ?? [])] },
    endpoint: input.endpoint ?? defaultEndpoint(input.region),
    nodes: input.nodes.map((node) => ({ ...node })),
    groups: input.groups.map((group) => resolveGroup(group, input.nodes)),
  };
}
