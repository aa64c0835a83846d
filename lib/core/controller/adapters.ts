/**
 * The ports the controller acts through; lib/aws implements them, tests use stateful fakes.
 *
 * Error contract for every port method:
 * - `AwsThrottledError`: the call was throttled even after the adapter's own retries;
 * - `AwsUnavailableError`: timeout, network or 5xx, even after retries;
 * - `AwsRejectedError` with `code` (the AWS error code, e.g. `IncorrectState`,
 *   `InvalidVolume.ZoneMismatch`, `VolumeInUse`): the request was refused.
 * None of them is ever taken for a node failure: the step waits and is tried again next tick.
 */
import type { GroupId, NodeId } from "../definition/types.js";
import type {
  ClusterSnapshot,
  ControllerLease,
  GroupRecord,
  GuardRecord,
  JudgedNodes,
  ReportCondition,
} from "./records.js";

export type InstanceState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";

export interface InstanceView {
  readonly instanceId: string;
  readonly state: InstanceState;
  readonly availabilityZone: string;
  readonly privateIp: string | null;
  readonly publicIp: string | null;
}

export interface VolumeView {
  readonly volumeId: string;
  /** `available`, `in-use`, `creating`, `deleting`, `deleted`, `error`. */
  readonly state: string;
  readonly availabilityZone: string;
  readonly attachments: readonly {
    readonly instanceId: string;
    readonly device: string;
    /** `attaching`, `attached`, `detaching`, `detached`, `busy`. */
    readonly state: string;
  }[];
}

export interface AddressView {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly instanceId: string | null;
}

export interface Ec2Port {
  /** undefined when the instance does not exist (or no longer does). */
  describeInstance(instanceId: string): Promise<InstanceView | undefined>;
  stopInstance(instanceId: string, force: boolean): Promise<void>;
  describeVolume(volumeId: string): Promise<VolumeView | undefined>;
  detachVolume(volumeId: string, instanceId: string, force: boolean): Promise<void>;
  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void>;
  describeAddress(allocationId: string): Promise<AddressView | undefined>;
  /** AssociateAddress with AllowReassociation. */
  associateAddress(allocationId: string, instanceId: string): Promise<void>;
}

export interface RecordView {
  readonly values: readonly string[];
  readonly ttl: number;
}

export interface DnsPort {
  /** The A record's current values, undefined when there is none. */
  getARecord(hostedZoneId: string, name: string): Promise<RecordView | undefined>;
  /** UPSERT of the A record; returns the change id to wait on. */
  upsertARecord(hostedZoneId: string, name: string, address: string, ttl: number): Promise<string>;
  changeStatus(changeId: string): Promise<"PENDING" | "INSYNC">;
}

export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

/** Thrown by conditional writes when another writer changed the record first. */
export class StateConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StateConflictError";
  }
}

export interface ClusterLogEntry {
  /** Controller clock, epoch ms. */
  readonly at: number;
  readonly groupId: GroupId | null;
  readonly epoch: number | null;
  /** What happened: "failover-started", "step", "failover-completed", "guard-frozen", ... */
  readonly event: string;
  /** The node concerned (node changes); absent: none in particular. */
  readonly nodeId?: NodeId;
  readonly step?: string;
  readonly outcome: string;
  readonly durationMs?: number;
  readonly detail?: string;
}

export interface ClusterStateStore {
  /** One paged, strongly consistent Query of the state partition. */
  readSnapshot(): Promise<ClusterSnapshot>;
  /**
   * Takes or renews the controller lease: succeeds when there is none, it has expired
   * (`expiresAt < now`), or `holder` already holds it. Returns the lease held, or null.
   */
  acquireLease(holder: string, now: number, durationMs: number): Promise<ControllerLease | null>;
  /**
   * Gives the lease up at the end of an invocation, so that the next scheduled one need not wait
   * for it to expire; does nothing when `holder` no longer holds it.
   */
  releaseLease(holder: string, now: number): Promise<void>;
  /**
   * Writes the group record with `version = expectedVersion` (0: the item must not exist);
   * the stored version becomes `record.version`, which must be `expectedVersion + 1`. With `basedOn`, the
   * write also requires each named node item to still hold that boot, at that report or a later one of it
   * (one transaction): a later heartbeat of the same boot does not undo a confirmed stop or a leaving mark.
   * @throws StateConflictError when the stored version differs, or a node's report has changed
   */
  writeGroup(record: GroupRecord, expectedVersion: number, basedOn?: readonly ReportCondition[]): Promise<void>;
  /**
   * Settles a pending operator intent of the group: `taken` (with the epoch of the plan it started) or `refused`
   * (with why). Does nothing when the group's intent is no longer `intentId`, or is settled already.
   */
  settleIntent(
    groupId: GroupId,
    intentId: string,
    outcome: { readonly state: "taken" | "refused"; readonly reason: string; readonly epoch?: number },
  ): Promise<void>;
  /** Same contract as writeGroup, for the guard item. */
  writeGuard(record: GuardRecord, expectedVersion: number): Promise<void>;
  /**
   * Same contract as writeGuard, for the nodes as last judged (`controller#nodes`): written only by a pass that
   * judged a node's state changed. Reporting only: a failure never stops a pass.
   */
  writeJudgedNodes(record: JudgedNodes, expectedVersion: number): Promise<void>;
  /** Appends entries to the cluster log (items expire by TTL after `retentionDays`). */
  appendLog(entries: readonly ClusterLogEntry[]): Promise<void>;
}
