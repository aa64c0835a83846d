/**
 * The agent's edges, as small interfaces: the agent loop (`agent.ts`) depends on these, and the
 * implementations (`heartbeat-client.ts`, `drivers/`) are swapped for fakes in unit tests.
 */
import type { AgentResourceSpec } from "../core/agent/spec.js";

/**
 * A monotonic clock in milliseconds that counts time spent suspended (`clock.ts`: `performance.now()`
 * corrected by CLOCK_BOOTTIME); never wall time.
 */
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

/**
 * Acts on one agent-side resource on this machine. A start or stop may be aborted through `signal`:
 * the driver then ends it as fast as it can (kills the process group of the program it runs,
 * SIGTERM then SIGKILL; stops waiting for a device) and settles only once nothing it started for
 * this action still runs. What an aborted action left behind (a unit's start job, a mount that
 * completed) is undone by the stop the agent always runs after an abort.
 */
export interface ResourceDriver {
  /** @throws ResourceActionError when it did not start within `timeoutMs`, failed, or was aborted */
  start(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** @throws ResourceActionError when it did not stop within `timeoutMs`, failed, or was aborted */
  stop(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** True when the resource is healthy; false when it is not (or the check timed out). */
  check(timeoutMs: number): Promise<boolean>;
}

export type DriverFactory = (spec: AgentResourceSpec) => ResourceDriver;

/** Structured log lines (JSON on stdout, so journald keeps them). */
export interface AgentLog {
  /** Written only when the log's level is debug (agent.yaml `logLevel: debug`): the output of the programs it runs. */
  debug(message: string, attributes?: Record<string, unknown>): void;
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
