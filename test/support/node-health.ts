import type { NodeHealth } from "../../lib/core/controller/detection.js";
import type { NodeId } from "../../lib/core/definition/types.js";

/**
 * A node's health as `assessNodes` would judge it, for tests that build the controller's view by hand: up and
 * heard at 0 with nothing to report unless `fields` say otherwise. A node given `up: false` is past its lease
 * (silent past lease + grace) unless `leaseOver` says otherwise.
 */
export function nodeHealth(nodeId: NodeId, fields: Partial<Omit<NodeHealth, "nodeId">> = {}): NodeHealth {
  const up = fields.up ?? true;
  return {
    nodeId,
    up,
    leaseOver: !up,
    lastHeardAt: 0,
    upSince: up ? 0 : null,
    failedResources: [],
    fencedResources: [],
    activeResources: [],
    leaving: false,
    untoldGroups: [],
    answersLost: false,
    unreadyGroups: [],
    unsettledGroups: [],
    report: null,
    ...fields,
  };
}
