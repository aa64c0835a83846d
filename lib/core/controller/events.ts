import type { GroupId, NodeId } from "../definition/types.js";
import type { JudgedState, PlanKind } from "./records.js";

/** What a pass did or saw; the one stream the cluster log, notifications and metrics are made from. */
export type ControllerEvent =
  | {
      readonly type: "failover-started";
      readonly groupId: GroupId;
      readonly epoch: number;
      readonly kind: PlanKind;
      readonly source: NodeId | null;
      readonly target: NodeId;
      readonly reason: string;
      /** From the source's last heartbeat to this decision, when the source went silent. */
      readonly detectionDelayMs: number | null;
    }
  | {
      readonly type: "failover-completed";
      readonly groupId: GroupId;
      readonly epoch: number;
      readonly kind: PlanKind;
      readonly target: NodeId;
      readonly durationMs: number;
    }
  | { readonly type: "failover-failed"; readonly groupId: GroupId; readonly epoch: number; readonly reason: string }
  | { readonly type: "group-waiting"; readonly groupId: GroupId; readonly reason: string }
  | { readonly type: "group-failed"; readonly groupId: GroupId; readonly epoch: number; readonly reason: string }
  | {
      readonly type: "step";
      readonly groupId: GroupId;
      readonly epoch: number;
      readonly step: string;
      readonly outcome: string;
      readonly durationMs: number;
    }
  | {
      /** An operator intent the controller took (a plan or a reset written) or refused (with why). */
      readonly type: "intent-taken" | "intent-refused";
      readonly groupId: GroupId;
      readonly intentId: string;
      readonly action: "move" | "reset" | "drill";
      /** The operator's identity (STS caller ARN). */
      readonly by: string;
      readonly reason: string;
    }
  | NodeEvent
  | {
      readonly type: "guard-frozen" | "guard-unfrozen";
      readonly silent: readonly NodeId[];
      readonly voters: number;
    };

/**
 * A node's change of state, as a pass judged it against the one before (`node-transitions.ts`): `node-down` (up,
 * now silent past lease + grace), `node-left` (up, now leaving: a planned shutdown), `node-up` (not up before, or
 * never judged: now up), `node-restarted` (up, and up again in a new boot without being judged down between).
 */
export interface NodeEvent {
  readonly type: "node-down" | "node-up" | "node-left" | "node-restarted";
  readonly nodeId: NodeId;
  /** The boot its latest heartbeat came from. */
  readonly bootId: string;
  /** The boot of the state it left; null: it was never judged before. */
  readonly previousBootId: string | null;
  /** Its last heartbeat's receipt (heartbeat function's clock). */
  readonly lastHeardAt: number;
  /** What it was, since when; null: never judged (a new node, or the first pass that keeps judgements). */
  readonly previous: { readonly state: JudgedState; readonly since: number } | null;
  /** An operator drained it (`baton drain`): its silence is no failure. */
  readonly drained: boolean;
}

/** Events that someone should be told about (SNS). Node changes are not: the NodeDown alarm tells of a silent node. */
export function isNotable(event: ControllerEvent): boolean {
  return event.type !== "step" && !isNodeEvent(event);
}

export function isNodeEvent(event: ControllerEvent): event is NodeEvent {
  return (
    event.type === "node-down" ||
    event.type === "node-up" ||
    event.type === "node-left" ||
    event.type === "node-restarted"
  );
}
