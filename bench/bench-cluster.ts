/** What the benches that run the real handlers share: the node callers, groups settled online, an idle pass's edges. */
import type { ControllerDependencies } from "../lib/controller/dependencies.js";
import type { ClusterStateStore } from "../lib/core/controller/adapters.js";
import { emptyGroupRecord, type GroupRecord } from "../lib/core/controller/records.js";
import type { ClusterDefinition } from "../lib/core/definition/types.js";
import type { HeartbeatAnswer } from "../lib/core/heartbeat/answer.js";
import { ACCOUNT, CALLERS } from "../test/support/heartbeat-events.js";

/** The IAM caller a node's heartbeats carry: the example's own, else a role session named after the instance. */
export function callerOf(definition: ClusterDefinition, nodeId: string): string {
  const known = (CALLERS as Record<string, string>)[nodeId];
  if (known !== undefined) return known;
  const node = definition.nodes.find((n) => n.id === nodeId)!;
  return `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node/${node.kind === "ec2" ? node.instanceId : nodeId}`;
}

/**
 * What an agent reports after `answer`, as if each resource reached its desired state at once: the resources of every
 * group in the answer, and the epochs of the groups it owns.
 */
export function reportAfter(
  answer: HeartbeatAnswer,
  nodeId: string,
): { resources: Record<string, string>; epochs: Record<string, number> } {
  const resources: Record<string, string> = {};
  const epochs: Record<string, number> = {};
  for (const group of answer.groups) {
    Object.assign(resources, group.resources);
    if (group.owner === nodeId) epochs[group.id] = group.epoch;
  }
  return { resources, epochs };
}

/** The group online on its first preferred owner, epoch 1, every resource desired online. */
export function onlineRecord(group: ClusterDefinition["groups"][number], at: number): GroupRecord {
  return {
    ...emptyGroupRecord(group.id, at),
    version: 1,
    owner: group.preferredOwners[0]!,
    epoch: 1,
    status: "online",
    desired: Object.fromEntries(group.resources.map((r) => [r.id, "online" as const])),
  };
}

/** A pass's dependencies for a cluster with nothing to do: any call to EC2, Route 53 or SNS rejects. */
export function idlePassDependencies(
  definition: ClusterDefinition,
  store: ClusterStateStore,
  options: { readonly now: () => number; readonly holder: string },
): ControllerDependencies {
  const nowhere = () => Promise.reject(new Error("a pass with nothing to do called AWS"));
  return {
    definition,
    store,
    ec2: {
      describeInstance: nowhere,
      stopInstance: nowhere,
      describeVolume: nowhere,
      detachVolume: nowhere,
      attachVolume: nowhere,
      describeAddress: nowhere,
      associateAddress: nowhere,
    },
    dns: { getARecord: nowhere, upsertARecord: nowhere, changeStatus: nowhere },
    notifier: { publish: nowhere },
    clock: { now: options.now },
    holder: options.holder,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  };
}
