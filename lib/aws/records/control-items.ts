import type {
  ControllerLease,
  GuardRecord,
  JudgedNode,
  JudgedNodes,
  JudgedState,
} from "../../core/controller/records.js";
import { dictionary } from "../../core/dictionary.js";
import { itemKeys } from "../table-layout.js";
import { isObject, type Item, num, str } from "./item-values.js";

// The controller's own items (docs/table.md): the mass-failure guard, the controller lease and the nodes as last
// judged. Written only by the controller (versioned-writes.ts), read by its pass (snapshot-reader.ts).

/** The attributes of the guard and of the controller lease besides their keys. */
export const GUARD_ATTRIBUTES = ["version", "frozen", "since", "voters"] as const;
export const LEASE_ATTRIBUTES = ["version", "holder", "expiresAt"] as const;
export const JUDGED_NODES_ATTRIBUTES = ["version", "nodes"] as const;

/** The item writeGuard puts for `record`. */
export function guardItem(record: GuardRecord): Item {
  return {
    ...itemKeys.guard,
    version: record.version,
    frozen: record.frozen,
    since: record.since,
    // One string rather than a map of maps: a pass reads this item every tick, and 1,000 voters as
    // nested DynamoDB maps are 4,000 objects to parse; as JSON text, one.
    voters: JSON.stringify(
      Object.fromEntries(Object.entries(record.voters).map(([nodeId, vote]) => [nodeId, vote.removedAt])),
    ),
  };
}

export function readGuardItem(item: Item): GuardRecord {
  const voters = dictionary<{ removedAt: number | null }>();
  for (const [nodeId, removedAt] of Object.entries(parseVoters(item.voters))) {
    voters[nodeId] = { removedAt: typeof removedAt === "number" && Number.isFinite(removedAt) ? removedAt : null };
  }
  return {
    version: num(item.version, 0),
    frozen: item.frozen === true,
    since: num(item.since, 0),
    voters,
  };
}

/** The guard's voters: JSON text of node id → removal time or null. Unreadable: no voters (the guard starts over). */
function parseVoters(value: unknown): Record<string, unknown> {
  return parseObject(value);
}

/** JSON text of an object; anything else (not text, not JSON, not an object): an empty one. */
function parseObject(value: unknown): Record<string, unknown> {
  if (typeof value !== "string") return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

export function readLeaseItem(item: Item): ControllerLease {
  return { holder: str(item.holder, ""), expiresAt: num(item.expiresAt, 0), version: num(item.version, 0) };
}

/**
 * The item writeJudgedNodes puts for `record`: the judgements as one JSON text, node id → `[state, bootId, since]`
 * (a pass reads it every tick: one string, about 70 bytes a node).
 */
export function judgedNodesItem(record: JudgedNodes): Item {
  return {
    ...itemKeys.judgedNodes,
    version: record.version,
    nodes: JSON.stringify(
      Object.fromEntries(Object.entries(record.nodes).map(([nodeId, n]) => [nodeId, [n.state, n.bootId, n.since]])),
    ),
  };
}

const JUDGED_STATES: ReadonlySet<string> = new Set<JudgedState>(["up", "down", "leaving"]);

/** The judgements read back; an entry that does not read as one is left out (that node is judged anew). */
export function readJudgedNodesItem(item: Item): JudgedNodes {
  const nodes = dictionary<JudgedNode>();
  for (const [nodeId, value] of Object.entries(parseObject(item.nodes))) {
    if (!Array.isArray(value)) continue;
    const [state, bootId, since] = value as unknown[];
    if (typeof state !== "string" || !JUDGED_STATES.has(state) || typeof bootId !== "string") continue;
    if (typeof since !== "number" || !Number.isFinite(since)) continue;
    nodes[nodeId] = { state: state as JudgedState, bootId, since };
  }
  return { version: num(item.version, 0), nodes };
}
