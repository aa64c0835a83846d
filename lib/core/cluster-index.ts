import type {
  ClusterDefinition,
  GroupDefinition,
  GroupId,
  NodeDefinition,
  NodeId,
  ResourceId,
} from "./definition/types.js";

/** Look-ups over a loaded definition, built once (a function's cold start), read on every request. */
export interface ClusterIndex {
  readonly definition: ClusterDefinition;
  node(id: NodeId): NodeDefinition | undefined;
  /** Groups that list the node among their preferred owners, in definition order. */
  groupsOwnableBy(id: NodeId): readonly GroupDefinition[];
  /** Ids of the resources in those groups: the only ones the node may report on. */
  resourcesReportableBy(id: NodeId): ReadonlySet<ResourceId>;
  group(id: GroupId): GroupDefinition | undefined;
}

export function indexCluster(definition: ClusterDefinition): ClusterIndex {
  const nodes = new Map(definition.nodes.map((n) => [n.id, n]));
  const groups = new Map(definition.groups.map((g) => [g.id, g]));
  const ownable = new Map<NodeId, GroupDefinition[]>();
  const reportable = new Map<NodeId, Set<ResourceId>>();
  for (const node of definition.nodes) {
    const mine = definition.groups.filter((g) => g.preferredOwners.includes(node.id));
    ownable.set(node.id, mine);
    reportable.set(node.id, new Set(mine.flatMap((g) => g.resources.map((r) => r.id))));
  }
  const none: ReadonlySet<ResourceId> = new Set();
  return {
    definition,
    node: (id) => nodes.get(id),
    groupsOwnableBy: (id) => ownable.get(id) ?? [],
    resourcesReportableBy: (id) => reportable.get(id) ?? none,
    group: (id) => groups.get(id),
  };
}
