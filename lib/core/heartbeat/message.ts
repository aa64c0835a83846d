import * as z from "zod";
import { isReservedName, RESERVED_NAME_REASON } from "../definition/formats.js";
import type { GroupId, NodeId, ResourceId } from "../definition/types.js";
import { BodyTooLargeError, type FieldProblem, MalformedHeartbeatError } from "./errors.js";

/** Largest heartbeat body accepted, in bytes. */
export const MAX_HEARTBEAT_BYTES = 16 * 1024;

/**
 * What an agent reports of a resource. `fenced`: stopped, and the stop verified, because the agent lost
 * its lease (self-fencing); it will not start the resource again until an answer assigns the group to it
 * under a higher epoch than any it has seen. The controller may take it as a confirmed stop.
 */
export const RESOURCE_STATES = ["online", "offline", "starting", "stopping", "failed", "fenced"] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

/** A heartbeat as the node sent it, once it has been parsed and type-checked. */
export interface Heartbeat {
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  readonly resources: Readonly<Record<ResourceId, ResourceState>>;
  /**
   * True in the agent's last heartbeat of this boot, sent after it stopped every resource (a clean
   * shutdown). `parseHeartbeat` always sets it (false when the body leaves it out); absent means false.
   */
  readonly leaving?: boolean;
  /**
   * Per group, the epoch of the last answer the agent obeyed for it (docs/protocol.md). The controller
   * takes an `offline` report as a confirmed stop only at or above the epoch of the move it waits on.
   * Absent (an older agent): no `offline` confirms a move, which then falls back to fencing or its timeout.
   */
  readonly epochs?: Readonly<Record<GroupId, number>>;
  /** The agent's version (`baton-agent --version`), for people (`baton status`); absent: an older agent. */
  readonly agentVersion?: string;
}

/** The states a leaving node may report: nothing of it still runs. */
export const STOPPED_STATES: readonly ResourceState[] = ["offline", "failed", "fenced"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Unknown top-level fields are ignored (zod strips them): a newer agent keeps its
// lease with an older stack. A field's meaning never changes between versions.
const heartbeatSchema = z.object({
  nodeId: z
    .string({ error: "must be a string: the node's id from the cluster definition" })
    .min(1, "must not be empty"),
  bootId: z
    .string({ error: "must be a string: a UUID the agent draws at each start" })
    .regex(UUID, "must be a UUID (8-4-4-4-12 hex digits) that the agent draws at each start"),
  seq: z
    .number({ error: "must be a number: a whole number, 0 or more, that grows with each heartbeat of one bootId" })
    .int("must be a whole number, 0 or more, that grows with each heartbeat of one bootId")
    .min(0, "must not be negative")
    .max(Number.MAX_SAFE_INTEGER, "must be at most 2^53 - 1"),
  resources: z.record(z.string(), z.enum(RESOURCE_STATES, { error: `must be one of ${RESOURCE_STATES.join(", ")}` }), {
    error: 'must be an object mapping resource ids to states, such as {"pg-mount": "online"} ({} for none)',
  }),
  leaving: z
    .boolean({
      error: "must be true or false: true only in the last heartbeat of a boot, once every resource is stopped",
    })
    .optional(),
  epochs: z
    .record(
      z.string(),
      z
        .number({ error: "must be a number: the epoch of the last answer the agent obeyed for this group" })
        .int("must be a whole number")
        .min(0, "must not be negative")
        .max(Number.MAX_SAFE_INTEGER, "must be at most 2^53 - 1"),
      { error: 'must be an object mapping group ids to epochs, such as {"postgres": 3} ({} for none)' },
    )
    .optional(),
  agentVersion: z
    .string({ error: 'must be a string: the agent\'s version, such as "0.1.0"' })
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces, such as 0.1.0")
    .optional(),
});

/** The body's size in bytes, whether API Gateway passed it as text or base64. */
export function bodyBytes(body: string, isBase64Encoded: boolean): Uint8Array {
  return isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
}

/**
 * Parses and type-checks a heartbeat body.
 * @throws BodyTooLargeError over {@link MAX_HEARTBEAT_BYTES}
 * @throws MalformedHeartbeatError for anything but a well-typed heartbeat, naming every bad field
 */
export function parseHeartbeat(body: string | undefined, isBase64Encoded: boolean): Heartbeat {
  if (body === undefined || body === "") {
    throw new MalformedHeartbeatError("The request has no body: send the heartbeat as a JSON object.");
  }
  const bytes = bodyBytes(body, isBase64Encoded);
  if (bytes.byteLength > MAX_HEARTBEAT_BYTES) {
    throw new BodyTooLargeError(
      `The body is ${bytes.byteLength} bytes; a heartbeat may be at most ${MAX_HEARTBEAT_BYTES} bytes.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new MalformedHeartbeatError(`The body is not valid JSON: ${(error as Error).message}.`, [], {
      cause: error,
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new MalformedHeartbeatError("The body must be a JSON object with nodeId, bootId, seq and resources.");
  }
  const fields = json as Record<string, unknown>;
  const reserved = reservedNames(fields);
  const parsed = heartbeatSchema.safeParse(json);
  if (!parsed.success || reserved.length > 0) {
    const problems: FieldProblem[] = (parsed.error?.issues ?? [])
      .map((issue) => ({
        path: issue.path.map(String).join(".") || "(body)",
        message: absent(fields, issue.path) ? "is required" : issue.message,
      }))
      // A reserved name is refused for what it is, not also for its value.
      .filter((problem) => !reserved.some((r) => r.path === problem.path))
      .concat(reserved);
    throw new MalformedHeartbeatError(describe(problems), problems);
  }
  const heartbeat = { ...parsed.data, bootId: parsed.data.bootId.toLowerCase(), leaving: parsed.data.leaving ?? false };
  if (heartbeat.leaving) checkLeaving(heartbeat);
  return heartbeat;
}

/** Whether the body lacks the field at `path` (an own key at every step; a field present but wrong is not absent). */
function absent(body: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  let value: unknown = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return true;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return false;
}

/**
 * The reserved names (`__proto__`, `constructor`, ...: formats.ts) the body uses as ids. None is ever an id
 * of the definition, and read into a plain object `__proto__` would vanish: the message would be taken for
 * another. Checked on the parsed JSON itself, where every key is an own key, before anything reads it.
 */
function reservedNames(body: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const reason = `is a reserved name, never an id: ${RESERVED_NAME_REASON}`;
  const nodeId = Object.hasOwn(body, "nodeId") ? body.nodeId : undefined;
  if (typeof nodeId === "string" && isReservedName(nodeId)) {
    problems.push({ path: "nodeId", message: `${reason}; send the node's id from the cluster definition` });
  }
  for (const [field, what] of [
    ["resources", "report only the resources of the groups in the last answer"],
    ["epochs", "send only the ids of the groups in the last answer"],
  ] as const) {
    const map = Object.hasOwn(body, field) ? body[field] : undefined;
    if (typeof map !== "object" || map === null || Array.isArray(map)) continue;
    for (const key of Object.keys(map)) {
      if (isReservedName(key)) problems.push({ path: `${field}.${key}`, message: `${reason}; ${what}` });
    }
  }
  return problems;
}

/**
 * A leaving heartbeat tells the cluster that nothing of the node runs any more, so every resource it
 * reports must be stopped (`offline` or `fenced`) or given up (`failed`).
 */
function checkLeaving(heartbeat: Heartbeat): void {
  const running = Object.entries(heartbeat.resources).filter(([, state]) => !STOPPED_STATES.includes(state));
  if (running.length === 0) return;
  const ids = running.map(([id]) => id).join(", ");
  const problems: FieldProblem[] = [
    {
      path: "leaving",
      message: `is true, but a leaving node must report every resource offline, fenced or failed: stop ${ids} first`,
    },
    ...running.map(([id, state]) => ({
      path: `resources.${id}`,
      message: `is "${state}" in a leaving heartbeat: stop it first, then report it offline, fenced or failed`,
    })),
  ];
  throw new MalformedHeartbeatError(describe(problems), problems);
}

export function describe(problems: readonly FieldProblem[]): string {
  return `The heartbeat has ${problems.length === 1 ? "a bad field" : `${problems.length} bad fields`}: ${problems
    .map((p) => `${p.path} ${p.message}`)
    .join("; ")}.`;
}
