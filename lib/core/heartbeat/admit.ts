import type { ClusterIndex } from "../cluster-index.js";
import type { NodeDefinition } from "../definition/types.js";
import { CallerNotNodeError, UnknownNodeError } from "./errors.js";
import { expectedIdentity, callerIsNode } from "./identity.js";
import { type Heartbeat, parseHeartbeat } from "./message.js";

export interface HeartbeatRequest {
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  /** `userArn` from API Gateway's IAM authorizer: who signed the request. */
  readonly callerArn: string | undefined;
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
 * size and shape (413/400), a known node (404), signed by that node (403). Resources the definition does not
 * have are dropped from it (`ignoredResources`), not refused.
 */
export function admitHeartbeat(
  index: ClusterIndex,
  request: HeartbeatRequest,
  ownAccountId: string,
): AdmittedHeartbeat {
  const heartbeat = parseHeartbeat(request.body, request.isBase64Encoded);
  const node = index.node(heartbeat.nodeId);
  if (!node) {
    throw new UnknownNodeError(
      `nodeId "${heartbeat.nodeId}" is not a node of cluster "${index.definition.cluster}": ` +
        `use one of ${index.definition.nodes.map((n) => n.id).join(", ")}, or add the node to the definition and deploy.`,
      [{ path: "nodeId", message: "is not a node of the cluster" }],
    );
  }
  if (!callerIsNode(node, request.callerArn, ownAccountId)) {
    throw new CallerNotNodeError(
      `The request for node "${node.id}" was not signed by ${expectedIdentity(node)}; ` +
        `sign heartbeats with the node's own credentials.`,
    );
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
