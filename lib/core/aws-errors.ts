/**
 * The one family of AWS failures (the table included), as Powertools' idempotency errors are one family: each names
 * the call that failed and keeps the SDK's error as `cause`. Adapters report by kind and AWS error code, never by
 * message. None of these is a node failure.
 */
export abstract class AwsCallError extends Error {
  constructor(
    /** The call that failed, with its service: `DynamoDB PutItem`, `StopInstances`. */
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The call was throttled even after the client's own retries. */
export class AwsThrottledError extends AwsCallError {
  constructor(
    operation: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(operation, `${operation} was throttled (${code})`, options);
    this.name = "AwsThrottledError"; // written out: the functions' bundles are minified, class names are not kept
  }
}

/** Timeout, network or 5xx, even after retries: the service could not be reached. */
export class AwsUnavailableError extends AwsCallError {
  constructor(operation: string, detail: string, options?: ErrorOptions) {
    super(operation, `${operation} failed: ${detail}`, options);
    this.name = "AwsUnavailableError";
  }
}

/** AWS answered with an error code (`IncorrectState`, `InvalidVolume.NotFound`, ...). */
export class AwsRejectedError extends AwsCallError {
  constructor(
    operation: string,
    readonly code: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(operation, `${operation} was refused (${code}): ${detail}`, options);
    this.name = "AwsRejectedError";
  }
}
