import type { GroupId, NodeId, ResourceId } from "../definition/types.js";
import type { Heartbeat, ResourceState } from "./message.js";

/** What the table knows of a node's liveness: written only by the heartbeat function. */
export interface NodeLiveness {
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  /** When the heartbeat function received the last accepted heartbeat, by its own clock (epoch ms). */
  readonly receivedAt: number;
  /** When the first heartbeat of the current boot was received (epoch ms). */
  readonly bootStartedAt: number;
  readonly resources: Readonly<Record<ResourceId, ResourceState>>;
  readonly retiredBoots: readonly string[];
  /**
   * The last accepted heartbeat was the boot's leaving one: the agent stopped every resource (reported
   * offline or failed) and is shutting down. Cleared by the next accepted heartbeat, of any boot.
   */
  readonly leaving: boolean;
  /**
   * The last accepted heartbeat's `epochs`: per group, the epoch of the last answer the agent obeyed.
   * {} when the heartbeat had none (an older agent).
   */
  readonly epochs: Readonly<Record<GroupId, number>>;
  /**
   * The lease (ms) granted by the answer that lets the node hold its lease the longest (`leaseUntil`): the
   * last answer's, unless an earlier answer of a deploy with a longer lease still outlasts it. Absent when
   * recorded by a version of Baton that did not record it.
   */
  readonly leaseMs?: number | undefined;
  /**
   * The latest moment, by the heartbeat function's clock (epoch ms), that any answer given to the node may keep
   * its lease: the largest `receivedAt + granted lease` over its accepted heartbeats (never lowered, across boots).
   */
  readonly leaseUntil?: number | undefined;
  /** The agent's version, from the last accepted heartbeat; absent: it named none (an older agent). */
  readonly agentVersion?: string | undefined;
}

/**
 * Who owns a group, its fencing token, and what the controller wants the owner's agent to run.
 * A group never written yet has no owner, epoch 0, no desired states and no status.
 */
export interface GroupOwnership {
  readonly owner: NodeId | null;
  readonly epoch: number;
  /** Desired state of the owner's agent-side resources, as the controller last wrote it; {} when absent. */
  readonly desired: Readonly<Record<ResourceId, "online" | "offline">>;
  /** The group's status as the controller last wrote it (`online`, `moving`, ...); null when absent. */
  readonly status: string | null;
}

/** The port the heartbeat path writes through (implemented in lib/aws). */
export interface HeartbeatStore {
  /**
   * Records an admitted heartbeat with one conditional write per attempt, `leaving` included (set when
   * the heartbeat is leaving, cleared otherwise), its `epochs`, and the lease its answer will grant
   * (`grantedLeaseMs`), so that the controller waits out the longest lease the node may hold even after a
   * deploy that shortened it (`leaseMs`, `leaseUntil`).
   * @throws StaleHeartbeatError when the table already holds this heartbeat or a newer one
   * @throws StoreUnavailableError when the table cannot be reached
   */
  recordHeartbeat(heartbeat: Heartbeat, receivedAt: number, grantedLeaseMs: number): Promise<void>;
  /** Strongly consistent read of the groups' owners, epochs, desired states and statuses. */
  readOwnership(groupIds: readonly GroupId[]): Promise<ReadonlyMap<GroupId, GroupOwnership>>;
}

/**
 * The heartbeat function's side of the controller's wake-ups (lib/core/heartbeat/wake.ts): what it reads of the peers
 * a node watches, and the one conditional write that lets only one heartbeat per window wake the controller.
 */
export interface WakeStore {
  /** The watched peers' receipt times and lease ends (an eventually consistent read: a late view only delays). */
  readPeers(nodeIds: readonly NodeId[]): Promise<ReadonlyMap<NodeId, PeerLiveness>>;
  /**
   * Claims the wake-up: true for the one caller whose conditional write on the `controller#wake` item commits
   * while no other was claimed within the last `windowMs` (by the heartbeat function's clock).
   */
  claimWake(now: number, windowMs: number, reason: string): Promise<boolean>;
}

/** What the heartbeat function knows of a watched peer: its node item's receipt time and lease end. */
export interface PeerLiveness {
  readonly receivedAt: number;
  readonly leaseUntil?: number | undefined;
}
