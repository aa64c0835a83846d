import type { NodeHealth } from "../core/controller/detection.js";
import type { DnsPort, Ec2Port } from "../core/controller/adapters.js";
import type { ClusterSnapshot, Plan, PlanStep } from "../core/controller/records.js";
import type { StepObservation } from "../core/controller/steps.js";
import type { NodeId } from "../core/definition/types.js";

/** Describes what one step needs to see, through the ports (the "describe" of describe-then-act). */
export async function observe(
  step: PlanStep,
  plan: Plan,
  ports: { ec2: Ec2Port; dns: DnsPort },
  snapshot: ClusterSnapshot,
  health: ReadonlyMap<NodeId, NodeHealth>,
): Promise<StepObservation> {
  switch (step.kind) {
    case "check-volume-zone":
    case "attach-volume": {
      const [volume, instance] = await Promise.all([
        ports.ec2.describeVolume(step.volumeId),
        ports.ec2.describeInstance(step.instanceId),
      ]);
      return { volume, instance };
    }
    case "detach-volume":
      return { volume: await ports.ec2.describeVolume(step.volumeId) };
    case "fence":
      return { instance: await ports.ec2.describeInstance(step.instanceId) };
    case "associate-address":
      return { address: await ports.ec2.describeAddress(step.allocationId) };
    case "await-offline":
    case "await-online":
      return {
        liveness: snapshot.liveness.get(step.nodeId),
        nodeUp: health.get(step.nodeId)?.up === true,
        leaseOver: health.get(step.nodeId)?.leaseOver ?? true,
        untoldGroups: health.get(step.nodeId)?.untoldGroups ?? [],
      };
    case "upsert-record": {
      const [record, instance, changeStatus] = await Promise.all([
        ports.dns.getARecord(step.hostedZoneId, step.name),
        step.instanceId ? ports.ec2.describeInstance(step.instanceId) : Promise.resolve(undefined),
        plan.pendingChangeId ? ports.dns.changeStatus(plan.pendingChangeId) : Promise.resolve(undefined),
      ]);
      return { record, instance, changeStatus };
    }
  }
}
