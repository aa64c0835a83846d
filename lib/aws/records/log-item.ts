import { randomUUID } from "node:crypto";
import type { ClusterLogEntry } from "../../core/controller/adapters.js";
import { itemKeys, LOG_RETENTION_DAYS } from "../table-layout.js";
import type { Item } from "./item-values.js";

// A cluster log entry (docs/table.md): written only by the controller (cluster-log-writer.ts), in the day's
// partition; read by operators (docs/operations.md), never by a pass.

const DAY_SECONDS = 86_400;

/** The item for the `index`-th entry of one append. */
export function logItem(entry: ClusterLogEntry, index: number): Item {
  // The index keeps the entries of one call in order within a millisecond; the random part keeps
  // entries of two controller passes apart.
  const unique = `${String(index).padStart(4, "0")}-${randomUUID().slice(0, 8)}`;
  return {
    ...itemKeys.logEntry(entry.at, entry.groupId, unique),
    at: entry.at,
    groupId: entry.groupId ?? undefined,
    epoch: entry.epoch ?? undefined,
    event: entry.event,
    nodeId: entry.nodeId,
    step: entry.step,
    outcome: entry.outcome,
    durationMs: entry.durationMs,
    detail: entry.detail,
    expiresAt: Math.floor(entry.at / 1000) + LOG_RETENTION_DAYS * DAY_SECONDS,
  };
}
