import { CfnResource, Lazy } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
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

/**
 * Drops the function's DependsOn on its role, which its `Role` property's GetAtt already enforces (cfn-lint
 * W3005), and keeps every other dependency (the role's default policy: the function must not run before its
 * permissions exist). Lambda's Function adds both; construct dependencies become DependsOn only when the app is
 * synthesized, hence the list is computed then.
 */
export function dropRedundantRoleDependency(fn: lambda.Function, role: iam.Role): void {
  const cfnFunction = fn.node.defaultChild as CfnResource;
  const cfnRole = role.node.defaultChild as CfnResource;
  cfnFunction.addOverride(
    "DependsOn",
    Lazy.list(
      {
        produce: () =>
          cfnFunction
            .obtainDependencies()
            .filter((dependency): dependency is CfnResource => dependency instanceof CfnResource)
            .filter((dependency) => dependency !== cfnRole)
            .map((dependency) => dependency.logicalId)
            .sort(),
      },
      { omitEmpty: true },
    ),
  );
}
