import type { ControllerEvent } from "./events.js";
import type { PlanKind } from "./records.js";

const MOVES: Record<PlanKind, string> = { place: "placement", failover: "failover", failback: "failback" };

/** The SNS notification for an event: a short subject and a message an operator can act on. */
export function notificationFor(cluster: string, event: ControllerEvent): { subject: string; message: string } {
  const prefix = `[baton ${cluster}]`;
  switch (event.type) {
    case "failover-started":
      return {
        subject: `${prefix} ${MOVES[event.kind]} of ${event.groupId} started: ${event.source ?? "nowhere"} -> ${event.target}`,
        message: `Group ${event.groupId} is moving to ${event.target} (epoch ${event.epoch}). Reason: ${event.reason}.`,
      };
    case "failover-completed":
      return {
        subject: `${prefix} ${event.groupId} is online on ${event.target}`,
        message: `The ${MOVES[event.kind]} of group ${event.groupId} completed in ${(event.durationMs / 1000).toFixed(1)} s (epoch ${event.epoch}).`,
      };
    case "failover-failed":
      return {
        subject: `${prefix} moving ${event.groupId} FAILED`,
        message: `The move of group ${event.groupId} (epoch ${event.epoch}) stopped: ${event.reason}. The group is left failed; an operator must move it.`,
      };
    case "group-failed":
      return {
        subject: `${prefix} ${event.groupId} left failed`,
        message: `Group ${event.groupId} is left failed: ${event.reason}. An operator must move it.`,
      };
    case "group-waiting":
      return {
        subject: `${prefix} ${event.groupId} is waiting offline`,
        message: `Group ${event.groupId} cannot be placed: ${event.reason}. It is placed as soon as a preferred owner is up.`,
      };
    case "guard-frozen":
      return {
        subject: `${prefix} automatic failover FROZEN`,
        message: `${event.silent.length} of ${event.voters} nodes went silent at once (${event.silent.join(", ")}): a network or control-plane fault is likelier than dead servers. No group is moved until heartbeats return.`,
      };
    case "guard-unfrozen":
      return {
        subject: `${prefix} automatic failover resumed`,
        message: `Heartbeats have returned; automatic failover is on again.`,
      };
    case "intent-taken":
      return {
        subject: `${prefix} ${event.action} of ${event.groupId} taken`,
        message: `The ${event.action} of group ${event.groupId} asked by ${event.by} is being carried out: ${event.reason}.`,
      };
    case "intent-refused":
      return {
        subject: `${prefix} ${event.action} of ${event.groupId} refused`,
        message: `The ${event.action} of group ${event.groupId} asked by ${event.by} was not carried out: ${event.reason}.`,
      };
    case "node-down":
    case "node-up":
    case "node-left":
    case "node-restarted": {
      // Not sent (isNotable): the NodeDown alarm tells of a silent node. Worded all the same.
      const what = { "node-down": "is down", "node-up": "is up", "node-left": "left", "node-restarted": "restarted" };
      return {
        subject: `${prefix} node ${event.nodeId} ${what[event.type]}`,
        message: `Node ${event.nodeId} ${what[event.type]} (boot ${event.bootId}, last heard ${new Date(event.lastHeardAt).toISOString()}).`,
      };
    }
    case "step":
      return {
        subject: `${prefix} ${event.groupId}: ${event.step}`,
        message: `${event.step}: ${event.outcome}`,
      };
  }
}
