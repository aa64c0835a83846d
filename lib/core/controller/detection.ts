import type { NodeReport, ReportCondition } from "./records.js";
import type { ClusterDefinition, NodeId, ResourceId, Timing } from "../definition/types.js";
import { takeoverGraceMs } from "./timing.js";

export interface NodeHealth {
  readonly nodeId: NodeId;
  readonly up: boolean;
  /**
   * Lease + grace have passed since the longest lease any answer granted it (`heldUntil`), by AWS-side clocks:
   * its agent has stopped everything it ran (self-fencing). Only then is its silence taken as a stop. A leaving
   * node is not up from its leaving heartbeat on, but its lease is over only later. True when never heard.
   */
  readonly leaseOver: boolean;
  /** Receipt time of the last accepted heartbeat (heartbeat function's clock); null: never heard. */
  readonly lastHeardAt: number | null;
  /** When the node's current boot was first heard, while it is up. */
  readonly upSince: number | null;
  /** Resources the node reports `failed` (local restarts exhausted). */
  readonly failedResources: readonly ResourceId[];
  /**
   * Resources the node reports `fenced`: its agent lost its lease (its heartbeats arrive, its answers do
   * not), stopped them and will not start them again under the epoch it knows. An owner has lost them.
   */
  readonly fencedResources: readonly ResourceId[];
  /**
   * Resources its latest report lists in any state but `offline` (running, starting, stopping, failed, or
   * fenced): it may still run them, or has not confirmed their stop under a move. A group placed anew
   * (renamed, or its resources moved from another group) frees such a node first.
   */
  readonly activeResources: readonly ResourceId[];
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
 * and that heartbeat did not say the node is leaving. The lease is the longest the node may hold
 * (`heldUntil`), which after a deploy that shortened it is longer than the definition's. The map holds the
 * definition's nodes, then any node with a liveness item that the definition no longer holds (never up).
 */
export function assessNodes(
  definition: ClusterDefinition,
  liveness: ReadonlyMap<NodeId, NodeReport>,
  now: number,
): ReadonlyMap<NodeId, NodeHealth> {
  const known = new Set(definition.nodes.map((node) => node.id));
  // A node a deploy removed is never up (its heartbeats are refused), but its last answer's lease runs on: it is
  // judged from its liveness item like any node, so that a group it owned waits out that lease before it moves.
  const removed = [...liveness.keys()].filter((id) => !known.has(id));
  return new Map(
    [...known, ...removed].map((nodeId) => {
      const record = liveness.get(nodeId);
      const leaving = record?.leaving === true;
      const leaseOver = record === undefined || now > heldUntil(definition.timing, record);
      const up = record !== undefined && !leaving && !leaseOver && known.has(nodeId);
      const inState = (wanted: string) =>
        record
          ? Object.entries(record.resources)
              .filter(([, state]) => state === wanted)
              .map(([id]) => id)
          : [];
      return [
        nodeId,
        {
          nodeId,
          up,
          leaseOver,
          lastHeardAt: record?.receivedAt ?? null,
          upSince: up ? (record?.bootStartedAt ?? null) : null,
          failedResources: inState("failed"),
          fencedResources: inState("fenced"),
          activeResources: record
            ? Object.entries(record.resources)
                .filter(([, state]) => state !== "offline")
                .map(([id]) => id)
            : [],
          leaving,
          report: record ? { nodeId, bootId: record.bootId, seq: record.seq } : null,
        },
      ];
    }),
  );
}

/**
 * Until when (controller clock) the node may still hold its lease, grace included: the later of the end of the
 * definition's lease from its last heartbeat and the recorded end of the longest lease any answer granted it
 * (`leaseUntil`), plus the grace of the longer of the two leases. A deploy that shortens the lease thus waits out
 * the lease the old deploy granted (its grace too). With nothing recorded, lease + grace of the definition.
 */
function heldUntil(timing: Timing, record: NodeReport): number {
  const longest = Math.max(timing.leaseDurationMs, record.leaseMs ?? 0);
  const until = Math.max(record.receivedAt + timing.leaseDurationMs, record.leaseUntil ?? -Infinity);
  return until + takeoverGraceMs({ ...timing, leaseDurationMs: longest });
}
