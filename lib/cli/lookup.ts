import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { outputs, stackName } from "../infra/names.js";
import { badInput, failed } from "./errors.js";

/** Where a command finds the cluster: its table, and its controller function when known. */
export interface ClusterTarget {
  /** The cluster's name, when known (from --cluster, the definition, or BATON_CLUSTER). */
  readonly cluster: string | null;
  readonly tableName: string;
  /** The controller function; null when only --table was given. */
  readonly functionName: string | null;
  /** Where the target came from, for messages. */
  readonly source: string;
}

/**
 * The stack `baton-<cluster>`'s outputs `TableName` and `ControllerFunctionName` (lib/infra/baton-stack.ts).
 * A missing stack is bad input (wrong name or region); any other failure is a failure.
 */
export async function lookUpStack(
  client: CloudFormationClient,
  cluster: string,
  region: string,
): Promise<ClusterTarget> {
  const name = stackName(cluster);
  let stack;
  try {
    stack = (await client.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "ValidationError" && /does not exist/.test(text)) {
      throw badInput(
        `cluster ${cluster}: there is no stack ${name} in ${region}. Check the cluster name and --region (or AWS_REGION), or give --table NAME.`,
      );
    }
    throw error;
  }
  if (stack === undefined) {
    throw badInput(`cluster ${cluster}: there is no stack ${name} in ${region}. Check the cluster name and --region.`);
  }
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue ?? null;
  const tableName = output(outputs.tableName);
  if (tableName === null) {
    throw failed(
      `stack ${name} in ${region} has no output ${outputs.tableName} (status ${stack.StackStatus ?? "unknown"}): deploy it again, or give --table NAME.`,
    );
  }
  return { cluster, tableName, functionName: output(outputs.controllerFunctionName), source: `stack ${name}` };
}
