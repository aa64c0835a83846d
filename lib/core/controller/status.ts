import type { GroupRecord, GroupStatus } from "./records.js";

/**
 * The moves of a group's status the controller may make. `failed` is left only by an operator
 * (docs/operations.md "Restarting a failed group"); everything else is the controller's:
 * - offline: waiting (a new reason), a plan starts (moving), or the threshold is reached (failed);
 * - online: a plan starts (moving), the owner fell silent with nowhere to go (offline), the threshold is reached (failed);
 * - moving: a step is taken or the plan is replaced (moving), it completes (online), the target fell silent
 *   with nowhere to go (offline), it fails or the threshold is reached (failed).
 */
const ALLOWED_TRANSITIONS: Readonly<Record<GroupStatus, readonly GroupStatus[]>> = {
  offline: ["offline", "moving", "failed"],
  online: ["moving", "offline", "failed"],
  moving: ["moving", "online", "offline", "failed"],
  failed: [],
};

/** A move of a group's status that the table above does not allow: a controller bug, never written. */
export class TransitionError extends Error {
  constructor(
    readonly from: GroupStatus,
    readonly to: GroupStatus,
    groupId: string,
  ) {
    super(`group ${groupId}: the controller may not move a group from ${from} to ${to}`);
    this.name = "TransitionError";
  }
}

/**
 * The one way the controller changes a group record: applies `changes`, raises the version by one (the
 * write is conditioned on the version read) and, when the status changes, sets `since` to `now`.
 * @throws TransitionError when the status move is not in ALLOWED_TRANSITIONS
 */
export function transition(
  record: GroupRecord,
  changes: Partial<Omit<GroupRecord, "groupId" | "version">>,
  now: number,
): GroupRecord {
  const to = changes.status ?? record.status;
  if (!ALLOWED_TRANSITIONS[record.status].includes(to)) throw new TransitionError(record.status, to, record.groupId);
  return {
    ...record,
    ...changes,
    version: record.version + 1,
    since: to !== record.status ? now : (changes.since ?? record.since),
  };
}
