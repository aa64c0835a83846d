export { BatonStack, type BatonStackProps } from "./baton-stack.js";
export { ControllerFunction, type ControllerFunctionProps, type NetworkInterfaceTag } from "./controller-function.js";
export { controllerScope, type ControllerScope, type HostedZoneScope } from "./controller-permissions.js";
export { ClusterDefinitionSource } from "./definition-source.js";
export { FailoverCluster, type FailoverClusterProps } from "./failover-cluster.js";
export { outputs, stackName } from "./names.js";
export { ALARM_DEFAULTS, type AlarmTuning, type ClusterAlarmKey, type ClusterAlarmsProps } from "./cluster-alarms.js";
export { ClusterMetrics } from "./cluster-metrics.js";
export { CONTROLLER_METRICS, HEARTBEAT_METRICS, METRICS_NAMESPACE } from "../core/metric-names.js";
