export { BatonStack, type BatonStackProps } from "./baton-stack.js";
export { ClusterDefinitionSource } from "./definition-source.js";
export { FailoverCluster, type FailoverClusterProps } from "./failover-cluster.js";
export { stackName } from "./names.js";
