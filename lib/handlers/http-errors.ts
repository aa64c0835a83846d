import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  BodyTooLargeError,
  CallerNotNodeError,
  HeartbeatRejectedError,
  MalformedHeartbeatError,
  StaleHeartbeatError,
  StoreUnavailableError,
  UnknownNodeError,
} from "../core/heartbeat/errors.js";

/** The one place that turns domain errors into HTTP answers. */
const STATUS_BY_ERROR: readonly [new (...args: never[]) => HeartbeatRejectedError, number][] = [
  [BodyTooLargeError, 413],
  [MalformedHeartbeatError, 400],
  [UnknownNodeError, 404],
  [CallerNotNodeError, 403],
  [StaleHeartbeatError, 409],
];

/** The slice of a logger (Powertools' Logger fits) that the handlers use. */
export interface HandlerLogger {
  debug(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(body),
  };
}

/** Most of a refusal's message that is logged: it quotes the caller's text, up to a whole 16 KiB body. */
const LOGGED_REASON_BYTES = 512;

function logged(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  if (bytes.length <= LOGGED_REASON_BYTES) return message;
  // A character cut in two at the end shows as U+FFFD: harmless in a log line.
  const kept = bytes.subarray(0, LOGGED_REASON_BYTES).toString("utf8");
  return `${kept}… (${bytes.length - LOGGED_REASON_BYTES} more bytes not logged)`;
}

/** Maps an error to its answer. Callers' mistakes get their message; our failures never leak a stack. */
export function errorResponse(error: unknown, logger: HandlerLogger): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HeartbeatRejectedError) {
    const status = STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1] ?? 400;
    logger.warn("heartbeat refused", { status, code: error.code, reason: logged(error.message), ...error.logDetails });
    const problems = error.problems.length > 0 ? { problems: error.problems } : {};
    return jsonResponse(status, { error: { code: error.code, message: error.message, ...problems } });
  }
  if (error instanceof StoreUnavailableError) {
    logger.error("table unavailable", { error });
    return jsonResponse(503, {
      error: { code: "StoreUnavailable", message: "The cluster table could not be reached; send the next heartbeat." },
    });
  }
  logger.error("unexpected error", { error });
  return jsonResponse(500, { error: { code: "InternalError", message: "The heartbeat could not be processed." } });
}
