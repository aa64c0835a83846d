import type { NodeReport, ReportCondition } from "./records.js";
import type { ClusterDefinition, NodeId, ResourceId } from "../definition/types.js";
import { silenceLimitMs } from "./timing.js";

export interface NodeHealth {
  readonly nodeId: NodeId;
  readonly up: boolean;
  /** Receipt time of the last accepted heartbeat (heartbeat function's clock); null: never heard. */
  readonly lastHeardAt: number | null;
  /** When the node's current boot was first heard, while it is up. */
  readonly upSince: number | null;
  /** Resources the node reports `failed` (local restarts exhausted). */
  readonly failedResources: readonly ResourceId[];
  /**
   * Its last heartbeat said it is leaving (a planned shutdown): it stopped every resource and will
   * send nothing more in this boot. Such a node is not up, from that heartbeat on.
   */
  readonly leaving: boolean;
  /**
   * The report this judgement rests on (boot and sequence of the node's last recorded heartbeat); null:
   * never heard. A write that moves a group because of what the node said is conditioned on it.
   */
  readonly report: ReportCondition | null;
}

/**
 * Who is up, by AWS-side clocks only: a node is up while its last heartbeat was received less
 * than lease + grace ago, as the heartbeat function stamped it and the controller's clock reads it,
 * and that heartbeat did not say the node is leaving.
 */
export function assessNodes(
  definition: ClusterDefinition,
  liveness: ReadonlyMap<NodeId, NodeReport>,
  now: number,
): ReadonlyMap<NodeId, NodeHealth> {
  const limit = silenceLimitMs(definition.timing);
  return new Map(
    definition.nodes.map((node) => {
      const record = liveness.get(node.id);
      const leaving = record?.leaving === true;
      const up = record !== undefined && !leaving && now - record.receivedAt <= limit;
      const failed = record
        ? Object.entries(record.resources)
            .filter(([, state]) => state === "failed")
            .map(([id]) => id)
        : [];
      return [
        node.id,
        {
          nodeId: node.id,
          up,
          lastHeardAt: record?.receivedAt ?? null,
          upSince: up ? (record?.bootStartedAt ?? null) : null,
          failedResources: failed,
          leaving,
          report: record ? { nodeId: node.id, bootId: record.bootId, seq: record.seq } : null,
        },
      ];
    }),
  );
}
