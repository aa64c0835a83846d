/**
 * The numbers that keep timing safe, and the defaults applied where the definition is
 * silent. The controller and the agent read these too, so that what the loader accepts
 * and what the running system assumes cannot drift apart. docs/definition.md explains
 * each number.
 */

/** Bounds on `timing`; checked by `rules/timing.ts`. */
export const TIMING_LIMITS = {
  /** Shortest heartbeat interval: faster only adds DynamoDB writes, not safety. */
  minHeartbeatIntervalMs: 500,
  /** Longest heartbeat interval. */
  maxHeartbeatIntervalMs: 60_000,
  /**
   * The lease must last at least this many heartbeat intervals, so that losing three
   * heartbeats in a row does not lose the lease (amazon-dynamodb-lock-client requires
   * at least 2 and recommends at least 4).
   */
  minLeaseHeartbeatRatio: 4,
  /** Longest lease: beyond this a dead node holds its groups for too long. */
  maxLeaseDurationMs: 600_000,
  /** Shortest controller tick. */
  minControllerTickMs: 1_000,
  /** Longest controller tick; it must also be no longer than the lease. */
  maxControllerTickMs: 60_000,
} as const;

/** Values used where the definition does not say. */
export const DEFAULTS = {
  timing: { heartbeatIntervalMs: 2_000, leaseDurationMs: 10_000, controllerTickMs: 2_000 },
  /** Failover threshold is (nodes in the cluster - 1), at least this. */
  minFailoverThreshold: 1,
  failoverPeriodMs: 6 * 3_600_000,
  failbackMode: "never",
  failbackTimeZone: "UTC",
  restart: { threshold: 3, periodMs: 15 * 60_000 },
  pendingTimeoutMs: 3 * 60_000,
  /** An agent-side resource's stop when the node stops it on its own (self-fencing). */
  stopTimeoutMs: 1_000,
  dnsTtl: 10,
  dnsTarget: "private-ip",
} as const;

/** Most options a mount resource may name (the agent puts nosuid,nodev before them). */
export const MAX_MOUNT_OPTIONS = 32;
