/**
 * The agent's edges, as small interfaces: the agent loop (`agent.ts`) depends on these, and the
 * implementations (`heartbeat-client.ts`, `drivers/`) are swapped for fakes in unit tests.
 */
import type { AgentResourceSpec } from "../core/agent/spec.js";

/** A monotonic clock in milliseconds (`performance.now()`); never wall time. */
export interface MonotonicClock {
  now(): number;
}

/** The HTTP answer to one heartbeat; any status, the body parsed as JSON when it is JSON. */
export interface HeartbeatReply {
  readonly status: number;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  readonly body: unknown;
}

/** Sends one signed heartbeat. */
export interface HeartbeatTransport {
  /**
   * POSTs `body` as JSON to the heartbeat URL, signed with SigV4 for `execute-api`.
   * @throws HeartbeatTransportError when no HTTP answer came back (refused, reset, timed out, credentials missing)
   */
  send(body: unknown): Promise<HeartbeatReply>;
  /** Closes kept-alive connections. */
  close(): void;
}

/** Acts on one agent-side resource on this machine. */
export interface ResourceDriver {
  /** @throws ResourceActionError when it did not start within `timeoutMs` or failed */
  start(timeoutMs: number): Promise<void>;
  /** @throws ResourceActionError when it did not stop within `timeoutMs` or failed */
  stop(timeoutMs: number): Promise<void>;
  /** True when the resource is healthy; false when it is not (or the check timed out). */
  check(timeoutMs: number): Promise<boolean>;
}

export type DriverFactory = (spec: AgentResourceSpec) => ResourceDriver;

/** Structured log lines (JSON on stdout, so journald keeps them). */
export interface AgentLog {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export class HeartbeatTransportError extends Error {
  override readonly name = "HeartbeatTransportError";
}

export class ResourceActionError extends Error {
  override readonly name = "ResourceActionError";
}
