import type { NodeId } from "../definition/types.js";
import { dictionary, ownValue } from "../dictionary.js";
import type { NodeHealth } from "./detection.js";
import type { NodeEvent } from "./events.js";
import type { JudgedNode, JudgedNodes, JudgedState } from "./records.js";

/** What one pass makes of its nodes' health against the judgements stored before it. */
export interface NodeTransitions {
  /** The judgements to store (version raised by one); null: nothing changed, nothing to write. */
  readonly record: JudgedNodes | null;
  /** The changes worth telling (cluster log, EventBridge), in the definition's node order. */
  readonly events: readonly NodeEvent[];
}

/**
 * Each node's change of state since the judgements stored (`previous`, null: none yet), from this pass's health of
 * the definition's nodes (`members`). Told: a node up before and now silent past lease + grace (`node-down`) or
 * leaving (`node-left`); one not up before, or never judged, and now up (`node-up`); one up before and up now in
 * another boot (`node-restarted`: it restarted faster than lease + grace). Stored without a word: a node first
 * judged down or leaving (nothing to compare with), a change between down and leaving, a new boot while it is not
 * up. A node never heard gets no entry, and the entry of a node the definition no longer has is dropped.
 * Reporting only: nothing here decides a move.
 */
export function nodeTransitions(
  previous: JudgedNodes | null,
  members: ReadonlyMap<NodeId, NodeHealth>,
  now: number,
): NodeTransitions {
  const before = previous?.nodes ?? {};
  const nodes = dictionary<JudgedNode>();
  const events: NodeEvent[] = [];
  let changed = false;
  for (const [nodeId, health] of members) {
    const was = ownValue(before, nodeId);
    if (health.report === null || health.lastHeardAt === null) {
      // Never heard (or its liveness item is gone): nothing to judge.
      if (was !== undefined) changed = true;
      continue;
    }
    const state: JudgedState = health.up ? "up" : health.leaving ? "leaving" : "down";
    const bootId = health.report.bootId;
    if (was !== undefined && was.state === state && was.bootId === bootId) {
      nodes[nodeId] = was;
      continue;
    }
    changed = true;
    nodes[nodeId] = { state, bootId, since: now };
    const type = eventType(was, state, bootId);
    if (type === null) continue;
    events.push({
      type,
      nodeId,
      bootId,
      previousBootId: was?.bootId ?? null,
      lastHeardAt: health.lastHeardAt,
      previous: was === undefined ? null : { state: was.state, since: was.since },
      drained: health.drained === true,
    });
  }
  // A node the definition no longer has: its entry is dropped.
  if (Object.keys(before).some((nodeId) => !members.has(nodeId))) changed = true;
  return {
    record: changed ? { version: (previous?.version ?? 0) + 1, nodes } : null,
    events,
  };
}

function eventType(was: JudgedNode | undefined, state: JudgedState, bootId: string): NodeEvent["type"] | null {
  if (state === "up") {
    if (was?.state !== "up") return "node-up";
    return was.bootId === bootId ? null : "node-restarted";
  }
  if (was?.state !== "up") return null;
  return state === "down" ? "node-down" : "node-left";
}
