/** The supervisor's log lines, worded in one place (docs/agent.md lists them). */
import type { GroupId, NodeId } from "../definition/types.js";
import { ownValue } from "../dictionary.js";
import { formatDuration } from "../duration.js";
import { selfFenceDeadlineAt, type Lease } from "./lease.js";
import type { GroupAnswer } from "../heartbeat/answer.js";
import type { AgentState, Notice, ResourceRuntime, UrgentMode } from "./state.js";

/** Why an urgent stop stops a resource. */
export const URGENT_STOP_REASONS: Readonly<Record<UrgentMode, string>> = {
  fence: "lease lost",
  leave: "leaving",
  supersede: "the group moved on",
};

/** Why a normal stop stops a resource. */
export function stopReason(state: AgentState, r: ResourceRuntime): string {
  if (r.failure !== undefined) return `it failed (${r.failure.reason})`;
  if (r.restartPending) return "restarting it";
  const view = state.answer?.groups.find((group) => group.id === r.groupId);
  const desired = view === undefined ? undefined : ownValue(view.resources, r.id);
  if (view === undefined || desired === undefined) return "the cluster no longer lists it for this node";
  if (view.owner !== state.nodeId) return `group ${r.groupId} is owned by ${view.owner ?? "nobody"}`;
  if (desired !== "online") return "the controller wants it offline";
  return "a resource it depends on is stopping or failed";
}

export interface ModeChange {
  readonly groupId: GroupId;
  readonly from: UrgentMode | undefined;
  readonly to: UrgentMode | undefined;
  readonly view: GroupAnswer | undefined;
  readonly nodeId: NodeId;
  readonly blockedThrough: number;
  readonly runEpoch: number | undefined;
  readonly lease: Lease | undefined;
  readonly now: number;
}

/** When a group's urgent stop begins or ends. */
export function modeChangeNotices(change: ModeChange): Notice[] {
  const { groupId, from, to, view, nodeId, blockedThrough, lease, now } = change;
  const attributes = { group: groupId };
  const notices: Notice[] = [];
  if (from === "fence" && to !== "fence") {
    notices.push(
      view?.owner === nodeId && view.epoch <= blockedThrough
        ? {
            level: "warn",
            message: `lease renewed: group ${groupId} stays stopped until the controller assigns it again (epoch above ${blockedThrough})`,
            attributes,
          }
        : { level: "info", message: `lease renewed (group ${groupId})`, attributes },
    );
  }
  if (to === "fence") {
    notices.push({
      level: "error",
      message: `lease lost: stopping group ${groupId}`,
      attributes: {
        ...attributes,
        sinceAcknowledgedSendMs: lease === undefined ? null : now - lease.ackedSentAt,
        deadlineInMs: lease === undefined ? null : selfFenceDeadlineAt(lease) - now,
      },
    });
  } else if (to === "leave") {
    notices.push({ level: "info", message: `leaving: stopping group ${groupId}`, attributes });
  } else if (to === "supersede") {
    const message =
      view !== undefined && view.owner === nodeId
        ? `group ${groupId} is now at epoch ${view.epoch}, above the ${change.runEpoch} it was started under: stopping it`
        : `group ${groupId} is now owned by ${view?.owner ?? "nobody"}${view === undefined ? "" : ` (epoch ${view.epoch})`}: stopping it`;
    notices.push({ level: "warn", message, attributes });
  }
  return notices;
}

/** When every resource of a group under an urgent stop is down. */
export function modeFinishedNotice(groupId: GroupId, mode: UrgentMode, lease: Lease | undefined, now: number): Notice {
  if (mode !== "fence") return { level: "info", message: `group ${groupId} stopped`, attributes: { group: groupId } };
  const left = selfFenceDeadlineAt(lease) - now;
  return {
    level: "warn",
    message: `group ${groupId} stopped (lease lost), ${formatDuration(Math.max(0, Math.round(left)))} before the self-fence deadline`,
    attributes: { group: groupId, beforeDeadlineMs: left },
  };
}
