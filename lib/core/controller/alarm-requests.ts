/**
 * Alarm-driven failover (docs/alarms.md): a CloudWatch alarm a group names in `failoverOn` entered ALARM, and an
 * EventBridge rule brought its state change to the controller. Pure: which groups that asks to move, off which node.
 */
import type { ClusterDefinition, GroupId, NodeId } from "../definition/types.js";

/** What the controller reads of EventBridge's "CloudWatch Alarm State Change" event. */
export interface AlarmStateChange {
  readonly alarmName: string;
  /** The new state: only ALARM asks for anything. */
  readonly state: string;
  /** `InstanceId` dimensions of the alarm's metrics (an EC2 status check alarm has one). */
  readonly instanceIds: readonly string[];
}

/** A request to move `groupId` off `node` now (null: off whichever node owns it). */
export interface FailoverRequest {
  readonly groupId: GroupId;
  readonly alarm: string;
  readonly node: NodeId | null;
}

export const ALARM_EVENT = { source: "aws.cloudwatch", detailType: "CloudWatch Alarm State Change" } as const;

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The alarm state change an event carries; undefined when the event is not one. */
export function readAlarmEvent(event: unknown): AlarmStateChange | undefined {
  const e = object(event);
  if (e?.source !== ALARM_EVENT.source || e["detail-type"] !== ALARM_EVENT.detailType) return undefined;
  const detail = object(e.detail);
  const alarmName = detail?.alarmName;
  const state = object(detail?.state)?.value;
  if (typeof alarmName !== "string" || typeof state !== "string") return undefined;
  const metrics = object(detail?.configuration)?.metrics;
  const instanceIds = (Array.isArray(metrics) ? metrics : []).flatMap((m) => {
    const id = object(object(object(object(m)?.metricStat)?.metric)?.dimensions)?.InstanceId;
    return typeof id === "string" ? [id] : [];
  });
  return { alarmName, state, instanceIds: [...new Set(instanceIds)] };
}

/**
 * The groups an alarm asks to move, and off which node. The node is the one the definition pairs with the alarm
 * (`{ alarm, node }`); else the EC2 node whose instance the alarm's `InstanceId` dimension names (an alarm on an
 * instance of no node asks nothing); else whichever node owns the group (an application alarm). Only ALARM asks.
 */
export function failoverRequests(definition: ClusterDefinition, change: AlarmStateChange): FailoverRequest[] {
  if (change.state !== "ALARM") return [];
  const byInstance = new Map(definition.nodes.flatMap((n) => (n.kind === "ec2" ? [[n.instanceId, n.id]] : [])));
  const requests: FailoverRequest[] = [];
  for (const group of definition.groups) {
    for (const entry of group.failoverOn) {
      if (entry.alarm !== change.alarmName) continue;
      if (entry.node !== null) {
        requests.push({ groupId: group.id, alarm: entry.alarm, node: entry.node });
        continue;
      }
      if (change.instanceIds.length === 0) {
        requests.push({ groupId: group.id, alarm: entry.alarm, node: null });
        continue;
      }
      for (const instanceId of change.instanceIds) {
        const node = byInstance.get(instanceId);
        if (node !== undefined) requests.push({ groupId: group.id, alarm: entry.alarm, node });
      }
    }
  }
  return requests;
}
