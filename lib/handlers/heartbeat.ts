import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { Clock } from "../core/clock.js";
import type { ClusterIndex } from "../core/cluster-index.js";
import { answerFor, grantedLeaseMs, groupsAnswered } from "../core/heartbeat/answer.js";
import { agentResourceSpecs } from "../core/heartbeat/agent-resources.js";
import { admitHeartbeat } from "../core/heartbeat/admit.js";
import type { GroupOwnership, HeartbeatStore, WakeStore } from "../core/heartbeat/store.js";
import { type PeerLiveness, type WakeReason, wakeReason, watchedPeers } from "../core/heartbeat/wake.js";
import type { GroupId, NodeId } from "../core/definition/types.js";
import type { Heartbeat } from "../core/heartbeat/message.js";
import type { MetricsSink } from "./controller.js";
import { type HeartbeatEvent, heartbeatRequestOf } from "./heartbeat-event.js";
import { HeartbeatFairness } from "./heartbeat-fairness.js";
import { HeartbeatMetrics } from "./heartbeat-metrics.js";
import { WatchedPeers } from "./watched-peers.js";
import { errorResponse, type HandlerLogger, jsonResponse } from "./http-errors.js";

export interface HeartbeatHandlerDependencies {
  readonly index: ClusterIndex;
  readonly store: HeartbeatStore;
  /** The function's own clock: receipt times are stamped by it, never by the node. */
  readonly clock: Clock;
  readonly logger: HandlerLogger;
  /** Where refused heartbeats (`HeartbeatsThrottled`, `HeartbeatsForbidden`, `HeartbeatsStale`) and answered ones' latency are counted. */
  readonly metrics: MetricsSink;
  /** Publish the answered heartbeats' latency too (`FailoverClusterProps.detailedMetrics`). @default false */
  readonly detailedMetrics?: boolean;
  /**
   * Wake-ups of the controller (lib/core/heartbeat/wake.ts): each heartbeat reads the peers its node watches and
   * wakes the controller when one has just fallen silent, or when it brings the report a move waits for.
   * Absent: no wake-ups (the controller's schedule alone).
   */
  readonly wake?: {
    readonly store: WakeStore;
    readonly invoke: (reason: WakeReason, at: number) => Promise<void>;
  };
}

/** Called by the HTTP API or the function URL (`HeartbeatEvent`: the same payload, the caller in `authorizer.iam`). */
export type HeartbeatHandler = (
  event: HeartbeatEvent,
  context: Pick<Context, "invokedFunctionArn">,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * POST /v1/heartbeat: the request line (a function URL routes every one here), admit (pure), record, then read the
 * owners (after the write committed), answer.
 */
export function createHeartbeatHandler({
  index,
  store,
  clock,
  logger,
  metrics,
  wake,
  detailedMetrics = false,
}: HeartbeatHandlerDependencies): HeartbeatHandler {
  // Build every group's agent resource specs now, at the cold start, rather than in a node's request.
  for (const group of index.definition.groups) agentResourceSpecs(group);
  const fairness = new HeartbeatFairness(index.definition.timing.heartbeatIntervalMs, logger, metrics);
  const counted = new HeartbeatMetrics(metrics, detailedMetrics);
  const watching = new WatchedPeers(index);
  const answer = async (
    event: HeartbeatEvent,
    context: Pick<Context, "invokedFunctionArn">,
    receivedAt: number,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const read = heartbeatRequestOf(event);
      if ("refused" in read) return read.refused;
      const { heartbeat, node, ignoredResources } = admitHeartbeat(
        index,
        read.request,
        accountOf(context.invokedFunctionArn),
      );
      // Per-node fairness: a node heartbeating far faster than its interval is answered 429 here, before
      // the write (the cost), so it cannot crowd the other nodes out of the table or the function.
      const throttled = fairness.refuse(node.id, receivedAt);
      if (throttled !== undefined) return throttled;
      if (ignoredResources.length > 0) {
        // Reported from an answer of an earlier deploy; its answer no longer lists them, so its agent stops them.
        logger.warn("heartbeat reports resources the node may no longer report; recorded without them", {
          nodeId: node.id,
          resources: ignoredResources,
        });
      }
      const answered = groupsAnswered(index, heartbeat);
      const groupIds = answered.map((g) => g.id);
      // One after the other, never in parallel: a controller write that relies on this node's previous
      // report (a confirmed stop, a leaving mark) is conditioned on that report still being the node's
      // latest. Either it committed before this heartbeat's write, and the read below sees its new owner
      // and epoch, or it fails. Read in parallel, the answer could show the owner from before such a
      // write while the write still commits: the node would run a group that has just moved.
      // The lease the answer grants is recorded with the heartbeat, before the answer can be sent.
      await store.recordHeartbeat(heartbeat, receivedAt, grantedLeaseMs(index.definition));
      const [ownership, peers] = await Promise.all([
        store.readOwnership(groupIds),
        wake === undefined ? undefined : readPeers(wake.store, watching.due(watchedPeers(index, node.id), receivedAt)),
      ]);
      if (wake !== undefined && peers !== undefined) await wakeIfDue(wake, heartbeat, receivedAt, peers, ownership);
      logger.debug("heartbeat recorded", { nodeId: node.id, bootId: heartbeat.bootId, seq: heartbeat.seq });
      return jsonResponse(200, answerFor(index, heartbeat, receivedAt, ownership, answered));
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
  return async (event, context) => {
    const receivedAt = clock.now();
    const response = await answer(event, context, receivedAt);
    const now = clock.now();
    counted.record(response.statusCode ?? 200, now - receivedAt, now);
    return response;
  };

  /** A wake-up never fails the heartbeat: the scheduled pass is the backstop for a missed one. */
  async function wakeIfDue(
    port: NonNullable<HeartbeatHandlerDependencies["wake"]>,
    heartbeat: Heartbeat,
    now: number,
    peers: ReadonlyMap<NodeId, PeerLiveness>,
    ownership: ReadonlyMap<GroupId, GroupOwnership>,
  ): Promise<void> {
    const { heartbeatIntervalMs, controllerTickMs } = index.definition.timing;
    const reason = wakeReason(index, heartbeat, now, peers, ownership, 3 * heartbeatIntervalMs + controllerTickMs);
    if (reason === undefined) return;
    try {
      // One wake-up per controller tick for the whole cluster: N watchers of one silent node wake it once.
      if (!(await port.store.claimWake(now, controllerTickMs, JSON.stringify(reason)))) return;
      await port.invoke(reason, now);
      logger.debug("controller woken", { nodeId: heartbeat.nodeId, reason });
    } catch (error) {
      logger.warn("controller wake-up failed; its scheduled pass is the backstop", { error, reason });
    }
  }

  /** Only the peers whose down moment has come (`WatchedPeers`); none due: no read, nothing to wake for. */
  async function readPeers(
    store: WakeStore,
    peers: readonly NodeId[],
  ): Promise<ReadonlyMap<NodeId, PeerLiveness> | undefined> {
    if (peers.length === 0) return new Map();
    try {
      const read = await store.readPeers(peers);
      watching.remember(read);
      return read;
    } catch (error) {
      logger.warn("watched peers not read; no wake-up from this heartbeat", { error });
      return undefined;
    }
  }
}

/** The account id is the fifth field of the function's own ARN. */
function accountOf(functionArn: string): string {
  return functionArn.split(":")[4] ?? "";
}
