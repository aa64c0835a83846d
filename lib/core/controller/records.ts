// Over 300 lines: the types of every item the controller keeps in the table, side by side as docs/table.md lists
// them; declarations and their comments, with a few accessors of the plan.
/**
 * What the controller keeps in the table, as the core sees it (docs/table.md gives the items).
 * Every controller write is conditioned on the record's `version`, so two passes never both act.
 */
import type { GroupId, NodeId, ResourceId } from "../definition/types.js";
import type { NodeLiveness } from "../heartbeat/store.js";

export type GroupStatus =
  /** No owner: a new cluster, or no eligible node is up. */
  | "offline"
  /** Owned and every resource online. */
  | "online"
  /** A plan is running: the owner (the plan's target) is taking the group. */
  | "moving"
  /** Left alone: the failover threshold was exceeded, or a plan failed. Only an operator moves it. */
  | "failed";

export type PlanKind = "place" | "failover" | "failback";

/** One controller-side action of a plan. Steps run in order; each is idempotent. */
export type PlanStep =
  /** Before anything moves: the volume's real zone must be the target instance's (EBS cannot cross zones). */
  | {
      readonly kind: "check-volume-zone";
      readonly resourceId: ResourceId;
      readonly volumeId: string;
      readonly instanceId: string;
    }
  /**
   * Stop a source's instance (StopInstances with Force) and wait until it is stopped. `nodeId` names the
   * source (absent in plans written before plans had several sources: then it is the plan's `source`).
   */
  | {
      readonly kind: "fence";
      readonly instanceId: string;
      readonly onlyIfUnconfirmed: boolean;
      readonly nodeId?: NodeId;
    }
  /** Wait until the (live) source's agent reports the resource offline; skipped when the source is down. */
  | {
      readonly kind: "await-offline";
      readonly resourceId: ResourceId;
      readonly nodeId: NodeId;
      /**
       * The source's boot had been told nothing of the group up to this report, which the move rests on (its
       * write fails if the node has reported since): a later report of that boot still told nothing shows that
       * the answer to this one never reached it, so that boot never ran anything of the group (and answers
       * after the move do not give it the group). Absent: the source is awaited only on its own word.
       */
      readonly neverToldThrough?: { readonly bootId: string; readonly seq: number };
    }
  | {
      readonly kind: "detach-volume";
      readonly resourceId: ResourceId;
      readonly volumeId: string;
      /** Detach from this instance (DetachVolume always names it). */
      readonly instanceId: string;
      /** The source it is detached from (absent in older plans: the plan's `source`). */
      readonly nodeId?: NodeId;
    }
  | {
      readonly kind: "attach-volume";
      readonly resourceId: ResourceId;
      readonly volumeId: string;
      readonly instanceId: string;
      readonly device: string;
    }
  /** Wait until the target's agent reports the resource online (desired state sent in heartbeat answers). */
  | { readonly kind: "await-online"; readonly resourceId: ResourceId; readonly nodeId: NodeId }
  | {
      readonly kind: "associate-address";
      readonly resourceId: ResourceId;
      readonly allocationId: string;
      readonly instanceId: string;
    }
  | {
      readonly kind: "upsert-record";
      readonly resourceId: ResourceId;
      readonly hostedZoneId: string;
      readonly name: string;
      readonly ttl: number;
      /** The address to point at, when known from the definition (on-premise target). */
      readonly address?: string;
      /** Otherwise, which address of the target instance. */
      readonly instanceId?: string;
      readonly target: "private-ip" | "public-ip";
    };

export interface Plan {
  readonly kind: PlanKind;
  /** Why the plan started, for people: "node db-a silent since 03:00:01Z", "resource postgres failed". */
  readonly reason: string;
  /** The node the group leaves (the owner when the plan started); null: nobody held it. */
  readonly source: NodeId | null;
  /** Whether the source was up when the plan started (its agent stops its own resources). */
  readonly sourceAlive: boolean;
  /**
   * Earlier sources that had not confirmed their stop when this plan started (the sources of a plan it
   * replaced, or of a plan that failed): their steps (await-offline, fence, detach) come before the
   * source's. Absent in plans written before plans had several sources: none.
   */
  readonly inheritedSources?: readonly NodeId[];
  readonly target: NodeId;
  /** The epoch the plan runs under; a pass never continues a plan of another epoch. */
  readonly epoch: number;
  readonly steps: readonly PlanStep[];
  readonly stepIndex: number;
  readonly stepStartedAt: number;
  /**
   * When the target was told to start the run of agent resources the current await-online step belongs to (the
   * await-online steps in a row with no controller-side step between them: entering the first sets them all desired
   * online, `enterStep`). A report received after it counts for every step of the run. Absent outside a run, and in
   * plans written before runs were asked for at once: the step's own start.
   */
  readonly onlineAskedAt?: number;
  /** Actions taken in the current step (for escalation, e.g. force-detach). */
  readonly attempts: number;
  /** Set when an await-offline step timed out, or its node fell silent: some source did not confirm it stopped. */
  readonly sourceUnconfirmed: boolean;
  /** Set when a fence step saw a source instance stopped. */
  readonly fenced: boolean;
  /**
   * Which sources did not confirm their stop (`sourceUnconfirmed` says only whether any did). Absent in
   * plans written before plans had several sources: then `sourceUnconfirmed` is about `source`.
   */
  readonly unconfirmedNodes?: readonly NodeId[];
  /**
   * Which instances a fence step saw stopped (`fenced` says only whether any was). Absent in plans written
   * before plans had several sources: then `fenced` is about the plan's one fence step.
   */
  readonly fencedInstances?: readonly string[];
  /** A Route 53 change id being waited on, if any. */
  readonly pendingChangeId?: string;
  readonly startedAt: number;
  /** The operator intent that started the plan (`baton move`, `reset --to`, `drill`); absent: the controller's own. */
  readonly operator?: PlanOperator;
}

export interface GroupRecord {
  readonly groupId: GroupId;
  /** Optimistic-concurrency counter; 0 means the item does not exist yet. */
  readonly version: number;
  readonly owner: NodeId | null;
  /** The fencing token: raised by one at every change of owner, never lowered. */
  readonly epoch: number;
  readonly status: GroupStatus;
  readonly statusReason: string;
  /** When `status` last changed (controller clock, epoch ms). */
  readonly since: number;
  readonly plan: Plan | null;
  /** Start times of the failovers counted against the threshold (within the period). */
  readonly failovers: readonly number[];
  /**
   * Nodes the group was moved away from because a resource failed there (not because the node went
   * silent), with when: no failback to them within the failover period.
   */
  readonly failedOn: Readonly<Record<NodeId, number>>;
  /** Desired state of the owner's agent-side resources; sent to the owner in heartbeat answers. */
  readonly desired: Readonly<Record<ResourceId, "online" | "offline">>;
  /**
   * Nodes that may still run the group's resources although they are not its owner: the sources of a plan
   * that failed before they confirmed their stop (or were fenced). The next plan fences them, or waits for
   * their stop, before anything moves; an operator's reset of a failed group leaves this in place.
   * Absent: none.
   */
  readonly unconfirmedSources?: readonly NodeId[];
  /** The id of the last operator intent taken for the group (so a pass that died before settling it does not take it twice). */
  readonly lastIntent?: string;
}

/** Which sources did not confirm their stop (older records, or a list that does not read as one: the one source). */
export function unconfirmedNodesOf(plan: Plan): readonly NodeId[] {
  const listed: unknown = plan.unconfirmedNodes;
  if (Array.isArray(listed)) return listed.filter((id): id is NodeId => typeof id === "string");
  return plan.sourceUnconfirmed && plan.source !== null ? [plan.source] : [];
}

/** Which instances a fence step saw stopped (older records: the fence steps done, when `fenced`). */
export function fencedInstancesOf(plan: Plan): readonly string[] {
  const listed: unknown = plan.fencedInstances;
  if (Array.isArray(listed)) return listed.filter((id): id is string => typeof id === "string");
  if (!plan.fenced) return [];
  return plan.steps.slice(0, plan.stepIndex).flatMap((s) => (s.kind === "fence" ? [s.instanceId] : []));
}

/** Whether `nodeId` is known not to have confirmed its stop in this plan. */
export function isUnconfirmed(plan: Plan, nodeId: NodeId): boolean {
  return unconfirmedNodesOf(plan).includes(nodeId);
}

/** Whether a fence step of this plan saw `instanceId` stopped. */
export function isFenced(plan: Plan, instanceId: string): boolean {
  return fencedInstancesOf(plan).includes(instanceId);
}

/** The mass-failure guard (like WSFC's dynamic quorum). */
export interface GuardRecord {
  readonly version: number;
  readonly frozen: boolean;
  readonly since: number;
  /**
   * Nodes whose silence counts toward "more than half": every node seen up, each with the
   * time it was counted out after failing alone (it stops counting a lease window later).
   */
  readonly voters: Readonly<Record<NodeId, { readonly removedAt: number | null }>>;
}

export interface ControllerLease {
  readonly holder: string;
  /** Controller clock, epoch ms. */
  readonly expiresAt: number;
  readonly version: number;
}

/**
 * What the controller reads of a node's liveness item: the heartbeat function's ordering bookkeeping
 * (boot id, sequence, retired boots) is left in the table.
 */
export type NodeReport = Pick<
  NodeLiveness,
  | "nodeId"
  | "bootId"
  | "seq"
  | "receivedAt"
  | "bootStartedAt"
  | "resources"
  | "leaving"
  | "epochs"
  | "leaseMs"
  | "leaseUntil"
  | "agentVersion"
>;

/**
 * A node's report that a controller write relies on. By default (a confirmed stop, a leaving mark) the write
 * commits only while the node is still in the boot that made the report, at this report or a later one: what
 * such a report says holds for the rest of the boot, and an exact sequence number would fail every pass longer
 * than a heartbeat interval. With `latest` (a move made on the node's silence) the write commits only if this
 * report is still the node's latest: any heartbeat since means the node is not silent.
 */
export interface ReportCondition {
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  readonly latest?: true;
}

/** How the controller last judged a node (`JudgedNodes`): up, down (silent past lease + grace) or leaving. */
export type JudgedState = "up" | "down" | "leaving";

export interface JudgedNode {
  readonly state: JudgedState;
  /** The boot the judgement rests on (the node's last recorded heartbeat's). */
  readonly bootId: string;
  /** When a pass first judged it so (controller clock, epoch ms). */
  readonly since: number;
}

/**
 * Each node's state as the controller last judged it (`state` / `controller#nodes`), so that a pass, in whatever
 * invocation, tells a change (down, up, left, restarted) once: reporting only, no decision reads it. A node
 * never heard has no entry.
 */
export interface JudgedNodes {
  /** Optimistic-concurrency counter; 0: the item does not exist yet. */
  readonly version: number;
  readonly nodes: Readonly<Record<NodeId, JudgedNode>>;
}

/** Everything a pass reads, with one paged Query. */
export interface ClusterSnapshot {
  readonly liveness: ReadonlyMap<NodeId, NodeReport>;
  readonly groups: ReadonlyMap<GroupId, GroupRecord>;
  readonly guard: GuardRecord | null;
  readonly lease: ControllerLease | null;
  /** Operator intents per group (`intent#group#<id>`); absent: none read. */
  readonly intents?: ReadonlyMap<GroupId, GroupIntent>;
  /** Operators' standing word per node (`admin#node#<id>`: drained, failback held); absent: none read. */
  readonly admin?: ReadonlyMap<NodeId, NodeAdmin>;
  /**
   * The nodes as last judged (`controller#nodes`); null: never written. Absent: a store that does not keep them
   * (no node changes are reported).
   */
  readonly judgedNodes?: JudgedNodes | null;
}

export function emptyGroupRecord(groupId: GroupId, now: number): GroupRecord {
  return {
    groupId,
    version: 0,
    owner: null,
    epoch: 0,
    status: "offline",
    statusReason: "never placed",
    since: now,
    plan: null,
    failovers: [],
    failedOn: {},
    desired: {},
  };
}

/**
 * An operator's standing word about a node (`state` / `admin#node#<nodeId>`), kept until changed: drained (its
 * groups move off, nothing is placed or failed back onto it, its silence is no failure), or resumed without
 * failback (groups may be placed on it, but do not fail back to it until `resume --failback`).
 */
export interface NodeAdmin {
  readonly nodeId: NodeId;
  readonly drained: boolean;
  /** Whether groups may fail back to it (false after a drain, and after `resume` without `--failback`). */
  readonly failback: boolean;
  readonly by: string;
  readonly at: number;
}

export type GroupIntentAction = "move" | "reset";

/** Where an intent stands: written and not yet taken, taken (a plan or a reset was written), or refused. */
export type IntentState = "pending" | "taken" | "refused";

/** One operator intent for a group (`state` / `intent#group#<groupId>`): at most one per group. */
export interface GroupIntent {
  readonly groupId: GroupId;
  /** Unique per intent (a UUID): the controller settles the intent only if it is still this one. */
  readonly id: string;
  readonly action: GroupIntentAction;
  /** The node asked for; null: the next preferred one that can take the group. */
  readonly target: NodeId | null;
  /** A move made as a failover test: refused unless the group is online on a live owner. */
  readonly drill: boolean;
  /** The caller's identity (STS GetCallerIdentity ARN). */
  readonly by: string;
  /** When it was written (epoch ms, the writer's clock: for people only). */
  readonly at: number;
  readonly state: IntentState;
  /** Why it was refused, or what was done. */
  readonly reason?: string;
  /** The epoch of the plan it started (taken moves): the CLI follows the group under that epoch. */
  readonly epoch?: number;
}

/** Records what an operator asked, on the plan it started: kept with the plan, read by the CLI and the log. */
export interface PlanOperator {
  readonly intentId: string;
  readonly by: string;
  readonly drill: boolean;
}
