/**
 * A heartbeat at once when a resource changes state (docs/agent.md, "Heartbeats"), instead of at the next interval:
 * a move's steps wait for the target's report that its resources are online, or the source's that they are offline,
 * and the heartbeat function wakes the controller when that report arrives. Bounded so that the cost stays flat
 * (docs/cost.md): at most one early heartbeat per heartbeat interval, and none while nothing changes.
 */
import type { ResourceId } from "../definition/types.js";
import { ownValue } from "../dictionary.js";
import type { ResourceState } from "../heartbeat/message.js";
import { heartbeatIntervalOf } from "./lease.js";
import type { AgentState } from "./state.js";

/** What the controller waits for: a run up, a stop confirmed, restarts exhausted, a group self-fenced. */
const SETTLED: ReadonlySet<ResourceState> = new Set<ResourceState>(["online", "offline", "failed", "fenced"]);

export interface EarlyHeartbeatInput {
  /** The agent's state after the supervisor's latest decisions (`decide().state`): the starts it just issued count. */
  readonly state: AgentState;
  /** What the next heartbeat would report (`decide().report`). */
  readonly report: Readonly<Record<ResourceId, ResourceState>>;
  /** What the last heartbeat sent reported; undefined before the first. A resource it did not name counts as offline. */
  readonly sent: Readonly<Record<ResourceId, ResourceState>> | undefined;
  /** When the last early heartbeat was sent (the loop's monotonic clock); undefined: none yet. */
  readonly lastEarlyAt: number | undefined;
  readonly now: number;
}

/**
 * Whether to heartbeat now: some resource is settled (online, offline, failed, fenced) in a state other than the last
 * heartbeat reported, nothing of its group is under way any more (a chain of starts the answer allowed is reported
 * once, when its last resource is up, not once per link), the agent is not leaving (its last heartbeat says all),
 * and no early heartbeat was sent within the last interval.
 */
export function earlyHeartbeatDue(input: EarlyHeartbeatInput): boolean {
  const { state, report, sent, lastEarlyAt, now } = input;
  if (sent === undefined || state.leavingSince !== undefined) return false;
  if (lastEarlyAt !== undefined && now - lastEarlyAt < heartbeatIntervalOf(state.lease)) return false;
  for (const [id, value] of Object.entries(report)) {
    if (!SETTLED.has(value) || (ownValue(sent, id) ?? "offline") === value) continue;
    const groupId = state.resources.get(id)?.groupId;
    if (groupId !== undefined && !busy(state, groupId)) return true;
  }
  return false;
}

/** A start or stop of one of the group's resources is under way (or an aborted one has not ended yet). */
function busy(state: AgentState, groupId: string): boolean {
  for (const r of state.resources.values()) {
    if (r.groupId === groupId && (r.op !== undefined || r.aborted.length > 0)) return true;
  }
  return false;
}
