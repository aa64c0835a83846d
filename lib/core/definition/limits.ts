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
  /** The heartbeat endpoint, except in `REGIONS_WITHOUT_FUNCTION_URLS` (there: `http-api`). */
  endpoint: "function-url",
} as const;

/**
 * Regions where Lambda has no function URLs, as AWS listed them in 2025
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, the note at the top): a definition for one of
 * them gets the HTTP API unless it names `endpoint`. A region that gains function URLs later keeps the HTTP API (it
 * works, at $1 per million heartbeats) until the definition says `endpoint: function-url`.
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
  "ap-south-2",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ap-east-2",
  "ca-west-1",
  "eu-south-2",
  "eu-central-2",
  "il-central-1",
  "me-central-1",
];

/**
 * What the heartbeat endpoint carries, and the margins around it (docs/deployment.md, "Heartbeat
 * capacity"). A cluster's steady heartbeat load is `nodes / heartbeatInterval` requests per second;
 * `rules/capacity.ts` refuses a definition whose load exceeds `maxHeartbeatsPerSecond`, and
 * `lib/core/heartbeat/capacity.ts` derives the API stage's throttle from the same numbers.
 */
export const HEARTBEAT_CAPACITY = {
  /**
   * Most heartbeats per second a cluster may send. Every heartbeat is one write to the table's one
   * `state` partition (lib/aws/table-layout.ts), and DynamoDB serves at most 1,000 write units per
   * second on one partition key: half is left for the controller's writes, node items that grow past
   * 1 KB (2 units) and bursts. It is the real ceiling: API Gateway (10,000 requests/s per account
   * and region) and Lambda (1,000 concurrent executions per account and region by default; a few
   * tens of milliseconds per heartbeat, so some 25 at this load) carry several times more.
   */
  maxHeartbeatsPerSecond: 500,
  /** The stage admits this many times the steady load: restarts, retries, a faster interval on the way. */
  stageLoadMargin: 4,
  /**
   * Requests per second the stage admits on top of that, so one caller flooding at up to this rate
   * (refused by the handler, per node, without a write) does not push the other nodes' heartbeats out.
   */
  stageFloodReserve: 250,
  /** The stage's burst (its token bucket's size), in seconds of its rate. */
  stageBurstSeconds: 2,
  /**
   * Per node, in the handler: heartbeats admitted per heartbeat interval on average. A well-behaved
   * agent sends one (lib/agent/agent.ts: one in flight, the next an interval after the last was sent,
   * a failed one is not retried early); the rest is room for an agent that heartbeats sooner when
   * something changes. More than this is a node heartbeating far faster than its interval.
   */
  nodeHeartbeatsPerInterval: 4,
  /** Per node: heartbeats admitted back to back (a restarted agent, an interval change, retries). */
  nodeBurst: 10,
} as const;

/** Most options a mount resource may name (the agent puts nosuid,nodev before them). */
export const MAX_MOUNT_OPTIONS = 32;
