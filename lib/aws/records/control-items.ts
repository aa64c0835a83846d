import type { ControllerLease, GuardRecord } from "../../core/controller/records.js";
import { dictionary } from "../../core/dictionary.js";
import { itemKeys } from "../table-layout.js";
import { isObject, type Item, num, str } from "./item-values.js";

// The controller's own two items (docs/table.md): the mass-failure guard and the controller lease. Written only by
// the controller (versioned-writes.ts), read by its pass (snapshot-reader.ts).

/** The attributes of the guard and of the controller lease besides their keys. */
export const GUARD_ATTRIBUTES = ["version", "frozen", "since", "voters"] as const;
export const LEASE_ATTRIBUTES = ["version", "holder", "expiresAt"] as const;

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
