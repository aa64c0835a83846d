import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";

/** Table actions a function calls, listed one by one, and the conditions (if any) they are allowed under. */
export interface TableGrant {
  readonly actions: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface FunctionRoleProps {
  readonly description: string;
  /** One statement on the table per grant. */
  readonly tableGrants: readonly TableGrant[];
  readonly table: dynamodb.ITable;
  /** The function's own log group: the only one it may write to. */
  readonly logGroup: logs.ILogGroup;
  /** Further inline policies, by name. */
  readonly policies?: Readonly<Record<string, iam.PolicyDocument>>;
}

/**
 * A Baton function's role: inline policies instead of AWSLambdaBasicExecutionRole, so that the
 * function writes only its own log group and calls only the table actions it uses.
 */
export function functionRole(scope: Construct, id: string, props: FunctionRoleProps): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: props.description,
    inlinePolicies: {
      State: new iam.PolicyDocument({
        statements: props.tableGrants.map(
          ({ actions, conditions }) =>
            new iam.PolicyStatement({
              actions: [...actions],
              resources: [props.table.tableArn],
              ...(conditions === undefined ? {} : { conditions: { ...conditions } }),
            }),
        ),
      }),
      Logs: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
            resources: [props.logGroup.logGroupArn],
          }),
        ],
      }),
      ...props.policies,
    },
  });
}
