/**
 * How adapters report AWS failures to the core: by kind and AWS error code, never by message.
 * None of these is a node failure.
 */
export class AwsThrottledError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} was throttled (${code})`, options);
    this.name = "AwsThrottledError";
  }
}

export class AwsUnavailableError extends Error {
  constructor(
    readonly operation: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} failed: ${detail}`, options);
    this.name = "AwsUnavailableError";
  }
}

export class AwsRejectedError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${operation} was refused (${code}): ${detail}`, options);
    this.name = "AwsRejectedError";
  }
}
