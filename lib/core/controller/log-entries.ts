/**
 * The cluster log's entry for each event of a pass (docs/table.md, `baton history`): who, what, the outcome in a few
 * words, and the detail. Pure: the pass appends them (lib/controller/pass.ts).
 */
import type { ClusterLogEntry } from "./adapters.js";
import type { ControllerEvent, NodeEvent } from "./events.js";

/** The log entry of `event`, recorded at `at`. */
export function logEntry(event: ControllerEvent, at: number): ClusterLogEntry {
  const base = { at, event: event.type };
  switch (event.type) {
    case "step":
      return {
        ...base,
        groupId: event.groupId,
        epoch: event.epoch,
        step: event.step,
        outcome: event.outcome,
        durationMs: event.durationMs,
      };
    case "failover-started":
      return {
        ...base,
        groupId: event.groupId,
        epoch: event.epoch,
        outcome: `${event.source ?? "-"} -> ${event.target}`,
        detail: event.reason,
      };
    case "failover-completed":
      return {
        ...base,
        groupId: event.groupId,
        epoch: event.epoch,
        outcome: `online on ${event.target}`,
        durationMs: event.durationMs,
      };
    case "failover-failed":
    case "group-failed":
      return { ...base, groupId: event.groupId, epoch: event.epoch, outcome: "failed", detail: event.reason };
    case "group-waiting":
      return { ...base, groupId: event.groupId, epoch: null, outcome: "waiting", detail: event.reason };
    case "intent-taken":
    case "intent-refused":
      return {
        ...base,
        groupId: event.groupId,
        epoch: null,
        outcome: `${event.action} ${event.type === "intent-taken" ? "taken" : "refused"}`,
        detail: `${event.reason} (intent ${event.intentId} by ${event.by})`,
      };
    case "guard-frozen":
    case "guard-unfrozen":
      return {
        ...base,
        groupId: null,
        epoch: null,
        outcome: event.type,
        detail: `silent: ${event.silent.join(", ") || "none"} of ${event.voters}`,
      };
    case "node-down":
    case "node-up":
    case "node-left":
    case "node-restarted":
      return nodeLogEntry(event, at);
  }
}

const NODE_OUTCOMES: Record<NodeEvent["type"], string> = {
  "node-down": "down",
  "node-up": "up",
  "node-left": "left",
  "node-restarted": "restarted",
};

/** A node's change: the outcome names the node (`db-a down`); for `node-up`, the duration is how long it was not up. */
function nodeLogEntry(event: NodeEvent, at: number): ClusterLogEntry {
  const boot = (id: string) => `boot ${id.slice(0, 8)}`;
  const heard = new Date(event.lastHeardAt).toISOString();
  const was = event.previous;
  let detail: string;
  switch (event.type) {
    case "node-down":
      detail = `silent since its last heartbeat at ${heard}, past lease + grace (${boot(event.bootId)})`;
      break;
    case "node-left":
      detail = `its last heartbeat at ${heard} said it is leaving: a planned shutdown (${boot(event.bootId)})`;
      break;
    case "node-restarted":
      detail = `a new boot (${boot(event.bootId)}, was ${event.previousBootId?.slice(0, 8) ?? "?"}), heard again within lease + grace`;
      break;
    case "node-up":
      detail =
        was === null
          ? `first judged up (${boot(event.bootId)})`
          : `heard again, ${event.previousBootId === event.bootId ? "same" : "new"} ${boot(event.bootId)}; ${was.state} since ${new Date(was.since).toISOString()}`;
      break;
  }
  return {
    at,
    event: event.type,
    groupId: null,
    epoch: null,
    nodeId: event.nodeId,
    outcome: `${event.nodeId} ${NODE_OUTCOMES[event.type]}`,
    ...(event.type === "node-up" && was !== null ? { durationMs: Math.max(0, at - was.since) } : {}),
    detail: event.drained ? `${detail}; drained` : detail,
  };
}
