import type { GroupId, NodeId } from "../definition/types.js";
import type { PlanKind } from "./records.js";

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
  | {
      readonly type: "guard-frozen" | "guard-unfrozen";
      readonly silent: readonly NodeId[];
      readonly voters: number;
    };

/** Events that someone should be told about (SNS). */
export function isNotable(event: ControllerEvent): boolean {
  return event.type !== "step";
}
