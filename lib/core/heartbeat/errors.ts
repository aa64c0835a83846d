/**
 * Why a heartbeat was refused. Each class is one answer the protocol gives
 * (docs/protocol.md); the handler maps them to HTTP statuses in one place.
 * Nothing is written when any of them is thrown.
 */

import { AwsCallError } from "../aws-errors.js";

export interface FieldProblem {
  /** The field, as a path into the request body: `seq`, `resources.pg-mount`. */
  readonly path: string;
  readonly message: string;
}

export interface RejectionOptions extends ErrorOptions {
  /**
   * What the log may hold but the caller must not be told, such as the node the request claimed and the
   * identity the definition expects (a refusal does not reveal the cluster's nodes or principals).
   */
  readonly logDetails?: Readonly<Record<string, unknown>>;
}

export abstract class HeartbeatRejectedError extends Error {
  abstract readonly code: string;
  readonly problems: readonly FieldProblem[];
  readonly logDetails: Readonly<Record<string, unknown>>;
  constructor(message: string, problems: readonly FieldProblem[] = [], options?: RejectionOptions) {
    super(message, options);
    this.name = new.target.name;
    this.problems = problems;
    this.logDetails = options?.logDetails ?? {};
  }
}

/** The body is larger than the protocol allows. */
export class BodyTooLargeError extends HeartbeatRejectedError {
  readonly code = "BodyTooLarge";
}

/** The body is not JSON, or fields are missing, of the wrong type, or name unknown resources. */
export class MalformedHeartbeatError extends HeartbeatRejectedError {
  readonly code = "MalformedHeartbeat";
}

/** `nodeId` is not a node of the deployed definition. */
export class UnknownNodeError extends HeartbeatRejectedError {
  readonly code = "UnknownNode";
}

/** The caller's IAM identity is not the one the definition gives the node. */
export class CallerNotNodeError extends HeartbeatRejectedError {
  readonly code = "CallerNotNode";
}

/** A replay, a duplicate, or a message from a boot the node has since left. */
export class StaleHeartbeatError extends HeartbeatRejectedError {
  readonly code = "StaleHeartbeat";
}

/**
 * The table could not be reached or refused the call for a reason that is not the node's fault: an AWS failure of
 * the one family (lib/core/aws-errors.ts), the SDK's error as `cause`; the heartbeat handler answers it with 503.
 */
export class StoreUnavailableError extends AwsCallError {
  constructor(message: string, options?: ErrorOptions & { readonly operation?: string }) {
    super(options?.operation ?? "DynamoDB", message, options);
    this.name = "StoreUnavailableError";
  }
}
