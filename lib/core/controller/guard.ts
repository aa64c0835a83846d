import type { NodeId } from "../definition/types.js";
import { dictionary, ownValue } from "../dictionary.js";
import type { NodeHealth } from "./detection.js";
import type { GuardRecord } from "./records.js";

export interface GuardDecision {
  readonly record: GuardRecord;
  /** Whether the record differs from the one read (and must be written). */
  readonly changed: boolean;
  readonly event: "guard-frozen" | "guard-unfrozen" | null;
  /** Nodes counted as silent against the voters, for the notification. */
  readonly silent: readonly NodeId[];
  readonly voters: number;
}

/**
 * The mass-failure guard. When more than half of the voting nodes are silent at once, a network or
 * control-plane fault is far likelier than dead servers: automatic failover freezes until enough
 * heartbeats return.
 *
 * Voters are the nodes seen up. A node that falls silent while the guard is not frozen is counted
 * out one lease window later, so nodes that fail one at a time lower the count that "half" is taken
 * of (WSFC's dynamic quorum) and a cluster can fail over down to its last node, while nodes that
 * fall silent within one lease window of each other are counted together. A node that leaves on
 * purpose (its agent said so) is counted out at once, and a node an operator drained does not vote at all:
 * patching half the cluster freezes nothing.
 */
export function evaluateGuard(
  previous: GuardRecord | null,
  health: ReadonlyMap<NodeId, NodeHealth>,
  now: number,
  leaseDurationMs: number,
): GuardDecision {
  const voters = dictionary<{ removedAt: number | null }>();
  for (const [nodeId, vote] of Object.entries(previous?.voters ?? {})) {
    if (!health.has(nodeId)) continue; // no longer in the definition
    if (health.get(nodeId)?.leaving === true) continue; // left on purpose: counted out at once
    if (health.get(nodeId)?.drained === true) continue; // drained by an operator: its silence is no failure
    if (vote.removedAt !== null && now - vote.removedAt >= leaseDurationMs) continue; // counted out
    voters[nodeId] = { removedAt: vote.removedAt };
  }
  for (const node of health.values()) if (node.up && node.drained !== true) voters[node.nodeId] = { removedAt: null };

  const ids = Object.keys(voters);
  const silent = ids.filter((id) => health.get(id)?.up !== true);
  const frozen = ids.length >= 2 && silent.length * 2 > ids.length;
  if (!frozen) {
    for (const id of silent) {
      const vote = ownValue(voters, id);
      if (vote && vote.removedAt === null) vote.removedAt = now;
    }
  }
  const wasFrozen = previous?.frozen ?? false;
  const record: GuardRecord = {
    version: (previous?.version ?? 0) + 1,
    frozen,
    since: frozen === wasFrozen && previous ? previous.since : now,
    voters,
  };
  const changed = previous === null || previous.frozen !== frozen || !sameVoters(previous.voters, voters);
  return {
    record: changed ? record : previous,
    changed,
    event: frozen === wasFrozen ? null : frozen ? "guard-frozen" : "guard-unfrozen",
    silent,
    voters: ids.length,
  };
}

/** The same voters with the same removal times (compared without sorting: a pass runs this over every node). */
function sameVoters(a: GuardRecord["voters"], b: GuardRecord["voters"]): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((id) => {
    const vote = ownValue(b, id);
    return vote !== undefined && vote.removedAt === ownValue(a, id)?.removedAt;
  });
}
