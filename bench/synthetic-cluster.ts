import { parseDefinition } from "../lib/core/definition/parse.js";
import type { ClusterDefinition } from "../lib/core/definition/types.js";

/**
 * N EC2 nodes in a ring, one group per node preferring it and its neighbour (so each node may own two groups), each
 * group a volume, a mount and a service: the cluster `bench:cost` and `bench:sizing` add nodes to.
 */
export function syntheticCluster(size: number): ClusterDefinition {
  const hex = (i: number, width = 17) => i.toString(16).padStart(width, "0");
  const result = parseDefinition({
    cluster: "bench",
    region: "us-east-1",
    nodes: Array.from({ length: size }, (_, i) => ({
      id: `n-${i}`,
      kind: "ec2",
      instanceId: `i-${hex(i)}`,
      availabilityZone: "us-east-1a",
      principal: "arn:aws:iam::123456789012:role/baton-node",
    })),
    groups: Array.from({ length: size }, (_, i) => ({
      id: `g-${i}`,
      preferredOwners: [`n-${i}`, `n-${(i + 1) % size}`],
      fencing: "stop-instance",
      resources: [
        { id: `data-${i}`, type: "ebs-volume", volumeId: `vol-${hex(i)}`, device: "/dev/xvdf" },
        { id: `mount-${i}`, type: "mount", volume: `data-${i}`, path: `/srv/${i}`, dependsOn: [`data-${i}`] },
        { id: `svc-${i}`, type: "systemd", unit: `svc-${i}.service`, dependsOn: [`mount-${i}`] },
      ],
    })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
  return result.definition;
}
