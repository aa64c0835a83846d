import { EXIT, type ExitCode } from "./exit-codes.js";

/**
 * An error a command reports to the operator as it is: one message (what is wrong, and what to do), no stack
 * trace, and the exit code it ends with. Throw it from a command; `main` prints it.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
  }
}

/** Bad input: exit code 2. The message names the argument or option and says what to give instead. */
export function badInput(message: string): CliError {
  return new CliError(message, EXIT.badInput);
}

/** The operation could not be done: exit code 1. */
export function failed(message: string): CliError {
  return new CliError(message, EXIT.failed);
}

/** AWS SDK error names that mean "no usable credentials": say where the standard chain looks. */
const CREDENTIAL_ERRORS = new Set(["CredentialsProviderError", "ExpiredTokenException", "ExpiredToken"]);
const ACCESS_ERRORS = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "UnauthorizedOperation",
  "UnrecognizedClientException",
]);

/**
 * Any error as the one line an operator reads: CliError as written; AWS errors with what to check. Never a
 * stack trace (set BATON_DEBUG=1 for one).
 */
export function describeError(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const name = error instanceof Error ? error.name : "Error";
  const text = error instanceof Error ? error.message : String(error);
  if (CREDENTIAL_ERRORS.has(name)) {
    return {
      message: `no usable AWS credentials (${text}). Baton uses the standard chain: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with \`aws sso login\`.`,
      exitCode: EXIT.failed,
    };
  }
  if (ACCESS_ERRORS.has(name)) {
    return {
      message: `AWS refused the call (${name}: ${text}). Check that your identity may use the cluster's table and functions (docs/operations.md "Permissions").`,
      exitCode: EXIT.failed,
    };
  }
  // The controller's adapters wrap SDK errors (AwsUnavailableError): their text carries the SDK's.
  if (/Region is missing/.test(text)) {
    return {
      message: "no AWS region: give --region, or -c FILE (the definition names it), or set AWS_REGION.",
      exitCode: EXIT.badInput,
    };
  }
  if (name === "ResourceNotFoundException" || /ResourceNotFoundException/.test(text)) {
    return {
      message: `AWS says it does not exist (${name}: ${text}). Check the names (--cluster, --table, --function) and the region (--region, AWS_REGION).`,
      exitCode: EXIT.badInput,
    };
  }
  return { message: `${name}: ${text}`, exitCode: EXIT.failed };
}
