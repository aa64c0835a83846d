import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface DynamoDbClientOptions {
  /** @default 300 ms: DynamoDB answers in single-digit milliseconds; a slow connect is a failed one. */
  readonly connectionTimeoutMs?: number;
  /** @default 800 ms per attempt, so that a heartbeat answers well inside its interval. */
  readonly requestTimeoutMs?: number;
  /** @default 3 attempts, with the SDK's standard jittered backoff, which retries throttling by error code. */
  readonly maxAttempts?: number;
}

/**
 * A DynamoDB client with a timeout on every call. Region and endpoint come from the
 * SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB).
 */
export function createDynamoDbClient(options: DynamoDbClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 300,
      requestTimeout: options.requestTimeoutMs ?? 800,
    },
  });
}
