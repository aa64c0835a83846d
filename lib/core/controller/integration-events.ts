import type { ControllerEvent, NodeEvent } from "./events.js";

/** The `source` of every event Baton puts on the default event bus (docs/events.md). */
export const EVENT_SOURCE = "baton";

export const DETAIL_TYPES = {
  failoverStarted: "Failover Started",
  failoverCompleted: "Failover Completed",
  failoverFailed: "Failover Failed",
  groupFailed: "Group Failed",
  guardFrozen: "Guard Frozen",
  guardUnfrozen: "Guard Unfrozen",
  nodeDown: "Node Down",
  nodeUp: "Node Up",
  nodeRestarted: "Node Restarted",
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** One EventBridge event: `source` is always {@link EVENT_SOURCE}; `detail` always names the cluster. */
export interface IntegrationEvent {
  readonly detailType: DetailType;
  /** When it happened (controller clock, epoch ms). */
  readonly at: number;
  readonly detail: { readonly cluster: string } & Readonly<Record<string, unknown>>;
}

/** Where the controller's integration events go (the default event bus: `lib/aws/event-publisher.ts`). */
export interface EventPublisher {
  publish(events: readonly IntegrationEvent[]): Promise<void>;
}

/**
 * The events of one pass: its controller events (steps and waiting groups are not published). Node changes are
 * the pass's judgements against those stored by the pass before it, in whatever invocation (`node-transitions.ts`):
 * `Node Down` (silent past lease + grace, or leaving), `Node Up`, `Node Restarted`; none for a drained node.
 */
export function integrationEvents(cluster: string, events: readonly ControllerEvent[], at: number): IntegrationEvent[] {
  const out: IntegrationEvent[] = [];
  const put = (detailType: DetailType, detail: Record<string, unknown>) =>
    out.push({ detailType, at, detail: { cluster, ...detail } });
  for (const e of events) {
    switch (e.type) {
      case "failover-started":
        put(DETAIL_TYPES.failoverStarted, {
          group: e.groupId,
          epoch: e.epoch,
          kind: e.kind,
          source: e.source,
          target: e.target,
          reason: e.reason,
          detectionDelayMs: e.detectionDelayMs,
        });
        break;
      case "failover-completed":
        put(DETAIL_TYPES.failoverCompleted, {
          group: e.groupId,
          epoch: e.epoch,
          kind: e.kind,
          target: e.target,
          durationMs: e.durationMs,
        });
        break;
      case "failover-failed":
        put(DETAIL_TYPES.failoverFailed, { group: e.groupId, epoch: e.epoch, reason: e.reason });
        break;
      case "group-failed":
        put(DETAIL_TYPES.groupFailed, { group: e.groupId, epoch: e.epoch, reason: e.reason });
        break;
      case "guard-frozen":
      case "guard-unfrozen":
        put(e.type === "guard-frozen" ? DETAIL_TYPES.guardFrozen : DETAIL_TYPES.guardUnfrozen, {
          silent: e.silent,
          voters: e.voters,
        });
        break;
      case "node-down":
      case "node-left":
      case "node-up":
      case "node-restarted":
        if (!e.drained) put(...nodeEvent(e, at));
        break;
      case "step":
      case "group-waiting":
      case "intent-taken":
      case "intent-refused":
        break;
    }
  }
  return out;
}

function nodeEvent(e: NodeEvent, at: number): [DetailType, Record<string, unknown>] {
  const lastHeardAt = new Date(e.lastHeardAt).toISOString();
  const common = { node: e.nodeId, lastHeardAt, bootId: e.bootId };
  switch (e.type) {
    case "node-down":
    case "node-left":
      return [
        DETAIL_TYPES.nodeDown,
        { ...common, reason: e.type === "node-down" ? "silent" : "leaving", silentForMs: at - e.lastHeardAt },
      ];
    case "node-up":
      return [
        DETAIL_TYPES.nodeUp,
        {
          ...common,
          previousBootId: e.previousBootId,
          downForMs: e.previous === null ? null : Math.max(0, at - e.previous.since),
        },
      ];
    case "node-restarted":
      return [DETAIL_TYPES.nodeRestarted, { ...common, previousBootId: e.previousBootId }];
  }
}
