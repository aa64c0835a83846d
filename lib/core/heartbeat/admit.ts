import type { ClusterIndex } from "../cluster-index.js";
import type { NodeDefinition } from "../definition/types.js";
import { CallerNotNodeError, UnknownNodeError } from "./errors.js";
import { expectedIdentity, whyCallerIsNotNode } from "./identity.js";
import { type Heartbeat, parseHeartbeat } from "./message.js";

/** The one answer to a caller that is not the node it claims to be, whichever node it claims. */
const NOT_SIGNED_BY_NODE =
  "The request was not signed by the IAM identity the definition gives this node: sign heartbeats with the " +
  "node's own credentials (the heartbeat function's log says which identity was expected).";

export interface HeartbeatRequest {
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  /** `userArn` from API Gateway's IAM authorizer: who signed the request. */
  readonly callerArn: string | undefined;
  /** `userId` from API Gateway's IAM authorizer (`AROA…:SESSION`, `AIDA…`), checked against a node's `principalId`. */
  readonly callerUserId?: string | undefined;
}

export interface AdmittedHeartbeat {
  /** The heartbeat to record and answer, without the resources the node may not report (`ignoredResources`). */
  readonly heartbeat: Heartbeat;
  readonly node: NodeDefinition;
  /**
   * Resource ids the heartbeat reported that the deployed definition does not have (a resource renamed or removed):
   * dropped, to be logged. The answer does not list them, which tells the agent to stop them.
   */
  readonly ignoredResources: readonly string[];
}

/**
 * Decides whether a heartbeat may be recorded, before anything is written:
 * size and shape (413/400), a known node (404, told only to a caller that is one of the cluster's
 * nodes; anyone else gets 403), signed by that node (403). Resources the definition does not have
 * are dropped from it (`ignoredResources`), not refused.
 */
export function admitHeartbeat(
  index: ClusterIndex,
  request: HeartbeatRequest,
  ownAccountId: string,
): AdmittedHeartbeat {
  const heartbeat = parseHeartbeat(request.body, request.isBase64Encoded);
  const node = index.node(heartbeat.nodeId);
  const caller = { arn: request.callerArn, userId: request.callerUserId };
  // Neither answer names the cluster's nodes or the identity a node must sign with: anyone who may
  // invoke the API would learn them. The log holds the details. Only a caller that is one of the
  // cluster's nodes is told that a node id is unknown; anyone else gets the same 403 whether or not
  // the id exists, so node ids cannot be probed.
  if (!node) {
    const logDetails = {
      nodeId: heartbeat.nodeId,
      callerArn: caller.arn,
      callerUserId: caller.userId,
      knownNodes: index.definition.nodes.map((n) => n.id).join(", "),
    };
    if (!index.definition.nodes.some((n) => whyCallerIsNotNode(n, caller, ownAccountId) === undefined)) {
      throw new CallerNotNodeError(NOT_SIGNED_BY_NODE, [], {
        logDetails: {
          ...logDetails,
          mismatch: "nodeId is not a node of the cluster, and the caller is none of its nodes",
        },
      });
    }
    throw new UnknownNodeError(
      "nodeId is not a node of this cluster: check the agent's nodeId, or add the node to the definition and deploy.",
      [{ path: "nodeId", message: "is not a node of the cluster" }],
      { logDetails },
    );
  }
  const mismatch = whyCallerIsNotNode(node, caller, ownAccountId);
  if (mismatch !== undefined) {
    throw new CallerNotNodeError(NOT_SIGNED_BY_NODE, [], {
      logDetails: {
        nodeId: node.id,
        callerArn: caller.arn,
        callerUserId: caller.userId,
        expected: expectedIdentity(node),
        mismatch,
      },
    });
  }
  // An agent reports from its last accepted answer: after a deploy that renamed or removed a resource it still
  // reports the old id until it accepts an answer of the new definition. Refusing the heartbeat would refuse that
  // answer forever; the id is dropped instead. A resource the definition still has, in a group the node may not own
  // (moved there by the deploy, or the node taken out of its preferred owners), is kept: the controller must see
  // that it still runs there before another node starts it.
  const known = index.resourcesReportableBy(node.id);
  const reportable = {
    has: (id: string) => known.has(id) || index.definition.groups.some((g) => g.resources.some((r) => r.id === id)),
  };
  const ignoredResources = Object.keys(heartbeat.resources).filter((id) => !reportable.has(id));
  if (ignoredResources.length === 0) return { heartbeat, node, ignoredResources };
  const resources = Object.fromEntries(Object.entries(heartbeat.resources).filter(([id]) => reportable.has(id)));
  return { heartbeat: { ...heartbeat, resources }, node, ignoredResources };
}
