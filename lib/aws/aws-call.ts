import { AwsRejectedError, AwsThrottledError, AwsUnavailableError } from "../core/aws-errors.js";

/**
 * AWS error codes that mean "slow down", whatever the HTTP status (EC2 answers
 * RequestLimitExceeded with a 503, Route 53 answers Throttling with a 400). Classified by
 * code only: a message is for people and changes without notice.
 */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "PriorRequestNotComplete",
  "RequestThrottled",
  "RequestThrottledException",
  "EC2ThrottledException",
  "SlowDown",
  // DynamoDB's: a table or index over its provisioned capacity.
  "ProvisionedThroughputExceededException",
]);

/** Error names of a call that never got an answer: client timeouts and aborts. */
const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
]);

/** Node.js socket error codes: the network, not AWS, failed. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The fields of an SDK v3 error (ServiceException or a request handler's error) that classify it. */
interface SdkErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

/**
 * Runs one SDK call and reports its failure by kind (see lib/core/controller/adapters.ts):
 * throttling -> AwsThrottledError, timeout / network / 5xx -> AwsUnavailableError, any other
 * AWS error code -> AwsRejectedError carrying that code. The client retries first (the SDK's
 * standard or adaptive mode, with jittered backoff); this only classifies what is left.
 *
 * Errors that did not come from AWS or the network (a bug in the caller, say) and errors
 * already classified pass through unchanged.
 */
export async function awsCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw classifyAwsError(operation, error);
  }
}

export function classifyAwsError(operation: string, error: unknown): unknown {
  if (
    error instanceof AwsThrottledError ||
    error instanceof AwsUnavailableError ||
    error instanceof AwsRejectedError ||
    typeof error !== "object" ||
    error === null
  ) {
    return error;
  }
  const shape = error as SdkErrorShape;
  const code = errorCode(shape);
  const status = typeof shape.$metadata?.httpStatusCode === "number" ? shape.$metadata.httpStatusCode : undefined;
  const message = typeof shape.message === "string" ? shape.message : "";
  const options = { cause: error };

  if ((code !== undefined && THROTTLING_CODES.has(code)) || shape.$retryable?.throttling === true || status === 429) {
    return new AwsThrottledError(operation, code ?? `HTTP ${status ?? "?"}`, options);
  }
  const nodeCode = typeof shape.code === "string" ? shape.code : undefined;
  if (
    (code !== undefined && UNAVAILABLE_NAMES.has(code)) ||
    (nodeCode !== undefined && NETWORK_CODES.has(nodeCode)) ||
    (status !== undefined && status >= 500)
  ) {
    const detail = [code, nodeCode, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(", ");
    return new AwsUnavailableError(operation, message ? `${detail}: ${message}` : detail, options);
  }
  // An AWS answer: a service exception has $fault, and every SDK response error has $metadata.
  if (code !== undefined && (shape.$fault !== undefined || shape.$metadata !== undefined || shape.Code !== undefined)) {
    return new AwsRejectedError(operation, code, message, options);
  }
  return error;
}

function errorCode(shape: SdkErrorShape): string | undefined {
  if (typeof shape.Code === "string" && shape.Code) return shape.Code;
  if (typeof shape.name === "string" && shape.name && shape.name !== "Error") return shape.name;
  return undefined;
}
