import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLE_KEYS, TTL_ATTRIBUTE } from "../aws/table-layout.js";
import { ids } from "./names.js";

/**
 * The cluster's single DynamoDB table: leases, group state and history (the quorum witness).
 *
 * On demand, point-in-time recovery, deletion protection, and retained when the stack is
 * deleted: losing it loses who owns what. History items expire through the `expiresAt`
 * TTL attribute.
 */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, ids.table, {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
  }
}
