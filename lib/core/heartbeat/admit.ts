import type { ClusterIndex } from "../cluster-index.js";
import type { NodeDefinition } from "../definition/types.js";
import { CallerNotNodeError, type FieldProblem, MalformedHeartbeatError, UnknownNodeError } from "./errors.js";
import { expectedIdentity, callerIsNode } from "./identity.js";
import { describe, type Heartbeat, parseHeartbeat } from "./message.js";

export interface HeartbeatRequest {
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  /** `userArn` from API Gateway's IAM authorizer: who signed the request. */
  readonly callerArn: string | undefined;
}

export interface AdmittedHeartbeat {
  readonly heartbeat: Heartbeat;
  readonly node: NodeDefinition;
}

/**
 * Decides whether a heartbeat may be recorded, before anything is written:
 * size and shape (413/400), a known node (404), signed by that node (403),
 * reporting only resources of groups the node may own (400).
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
  const reportable = index.resourcesReportableBy(node.id);
  const unknown: FieldProblem[] = Object.keys(heartbeat.resources)
    .filter((id) => !reportable.has(id))
    .map((id) => ({
      path: `resources.${id}`,
      message: `is not a resource of any group that node "${node.id}" may own`,
    }));
  if (unknown.length > 0) throw new MalformedHeartbeatError(describe(unknown), unknown);
  return { heartbeat, node };
}
