import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AwsThrottledError, AwsUnavailableError } from "../core/aws-errors.js";
import { classifyAwsError } from "./aws-call.js";

/**
 * Maps a failed DynamoDB call of the controller to the AWS error family: throttling as classifyAwsError knows it
 * (one list of codes for every service); anything else that is not a failed condition, a refusal included (a
 * missing table, say), is "unavailable", since a pass can do nothing about it but try again next tick.
 */
export function tableError(operation: string, error: unknown): AwsThrottledError | AwsUnavailableError {
  const call = `DynamoDB ${operation}`;
  const classified = classifyAwsError(call, error);
  if (classified instanceof AwsThrottledError) return classified;
  if (classified instanceof AwsUnavailableError && error === classified) return classified;
  const name = error instanceof Error ? error.name : "UnknownError";
  const detail = error instanceof Error ? `${name}: ${error.message}` : String(error);
  return new AwsUnavailableError(call, detail, { cause: error });
}

/** Runs one DynamoDB call, its failure reported as tableError does. */
export async function tableCall<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw tableError(operation, error);
  }
}

/** The state table as the controller's store parts reach it. */
export interface TableAccess {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}
