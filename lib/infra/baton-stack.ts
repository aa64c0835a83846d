import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { NetworkInterfaceTag } from "./controller-function.js";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { FailoverCluster } from "./failover-cluster.js";
import { ids, outputs } from "./names.js";

export interface BatonStackProps extends StackProps {
  /** The validated cluster definition. */
  readonly source: ClusterDefinitionSource;
  /** @see FailoverClusterProps.nodeRoles */
  readonly nodeRoles?: Readonly<Record<string, iam.IRole>>;
  /** @see FailoverClusterProps.logRetention */
  readonly logRetention?: logs.RetentionDays;
  /** @see FailoverClusterProps.networkInterfaceTag */
  readonly networkInterfaceTag?: NetworkInterfaceTag;
}

/**
 * One cluster's stack: a `FailoverCluster` and the outputs operators and node setup need
 * (heartbeat URL, table name, topic ARN, node heartbeat policy ARN, controller function name).
 */
export class BatonStack extends Stack {
  readonly cluster: FailoverCluster;

  constructor(scope: Construct, id: string, props: BatonStackProps) {
    super(scope, id, {
      description: `Baton failover cluster ${props.source.definition.cluster}`,
      ...props,
    });
    this.cluster = new FailoverCluster(this, ids.cluster, {
      definition: props.source,
      nodeRoles: props.nodeRoles,
      logRetention: props.logRetention,
      networkInterfaceTag: props.networkInterfaceTag,
    });

    new CfnOutput(this, outputs.heartbeatUrl, {
      description:
        "URL nodes send heartbeats to (POST, SigV4-signed for lambda: a function URL; for execute-api: an HTTP API).",
      value: this.cluster.heartbeatUrl,
    });
    new CfnOutput(this, outputs.tableName, {
      description: "Cluster state table.",
      value: this.cluster.table.tableName,
    });
    new CfnOutput(this, outputs.topicArn, {
      description: "Notification topic.",
      value: this.cluster.topic.topicArn,
    });
    new CfnOutput(this, outputs.nodeHeartbeatPolicyArn, {
      description: "Managed policy to attach to each node's role (EC2 instance role or IAM Roles Anywhere role).",
      value: this.cluster.nodeHeartbeatPolicy.managedPolicyArn,
    });
    new CfnOutput(this, outputs.controllerFunctionName, {
      description: 'Controller function; invoke it with {"passes": 1} for one pass.',
      value: this.cluster.controllerFunction.functionName,
    });
  }
}
