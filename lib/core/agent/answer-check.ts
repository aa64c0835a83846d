// Over 300 lines: the answer's checks (wire shape, then what must hold between its parts and with what the agent sent),
// each a function, in the protocol's order.
/**
 * The 200 answer to a heartbeat, checked before the agent believes a word of it (docs/agent.md).
 * An answer that fails any check is ignored: it does not renew the lease, and nothing it says is
 * acted on. The checks are the wire shape (docs/protocol.md) and what must hold between its parts
 * and with what the agent sent and saw before: its own nodeId, bootId and seq echoed, the same
 * cluster, resources that name only the group's own agent resources,
 * dependencies that come earlier in start order, and a timing within the definition's limits.
 *
 * Unknown fields at the top and in groups are ignored, the mirror of the protocol's rule for requests
 * (a field's meaning never changes; a new meaning gets a new field), so a stack upgraded before its
 * agents does not cut every node off.
 *
 * A group whose epoch went back (a point-in-time restore of the table, a hand edit), or that names a
 * program, unit or mount path outside the node's allow-list (agent.yaml, `allow-list.ts`), is refused alone: the
 * rest of the answer counts, and the agent treats that group as absent from it (nothing of it starts,
 * what of it runs is stopped with the spec it was started with). Inside `agentResources` and `restart` they are refused: an
 * ignored field there could change what the agent would run.
 */
import * as z from "zod";
import { FORMATS, type Format } from "../definition/formats.js";
import { problemsFromIssues } from "../definition/issues.js";
import { MAX_MOUNT_OPTIONS, TIMING_LIMITS } from "../definition/limits.js";
import { formatPath } from "../definition/path.js";
import type { GroupId, NodeId, ResourceId } from "../definition/types.js";
import { formatDuration } from "../duration.js";
import { groupStopBudgetMs, maxStopBudgetMs } from "../self-fencing.js";
import { notAllowed, type AllowList } from "./allow-list.js";
import type { HeartbeatAnswer } from "../heartbeat/answer.js";

/** What the answer must agree with: the request it answers, and what earlier answers said. */
export interface AnswerContext {
  readonly nodeId: NodeId;
  readonly bootId: string;
  readonly seq: number;
  /** The cluster named by the last valid answer, if any. */
  readonly cluster?: string;
  /** The highest epoch seen so far for each group. */
  readonly epochs?: ReadonlyMap<GroupId, number>;
  /** What the node allows the answer to name (agent.yaml); undefined: anything. */
  readonly allowList?: AllowList;
}

export interface AnswerProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * A group left out of an otherwise valid answer: its epoch went back (a restored or hand-edited table),
 * or it names a program, unit or mount path the node's allow-list does not allow.
 */
export interface RefusedGroup extends AnswerProblem {
  readonly groupId: GroupId;
  readonly reason: "epoch" | "not-allowed";
}

export type AnswerResult =
  | {
      readonly ok: true;
      /** The answer without its refused groups: the agent treats them as absent (stops them if they run). */
      readonly answer: HeartbeatAnswer;
      readonly refusedGroups: readonly RefusedGroup[];
    }
  | { readonly ok: false; readonly problems: readonly AnswerProblem[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function text(format: Format) {
  return z.string({ error: `must be ${format.describe}` }).refine(format.test, { error: `must be ${format.describe}` });
}

const id = text(FORMATS.id);
const wholeMs = z
  .number({ error: "must be a number of milliseconds" })
  .int("must be a whole number of milliseconds")
  .positive("must be more than zero")
  .max(Number.MAX_SAFE_INTEGER, "is too large");
const argv = z
  .array(z.string({ error: "must be a string" }), { error: "must be a list of strings: a program and its arguments" })
  .min(1, "must name a program")
  .refine((list) => FORMATS.program.test(list[0] ?? ""), {
    error: `must start with ${FORMATS.program.describe}`,
  });

const base = {
  id,
  dependsOn: z.array(id, { error: "must be a list of resource ids" }),
  pendingTimeoutMs: wholeMs,
  stopTimeoutMs: wholeMs,
  restart: z.strictObject({
    threshold: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must not be negative")
      .max(1000, "must be at most 1000"),
    periodMs: wholeMs,
  }),
};

const AgentResourceSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      ...base,
      type: z.literal("mount"),
      path: text(FORMATS.mountPath),
      volumeId: text(FORMATS.volumeId),
      device: text(FORMATS.device),
      options: z
        .array(text(FORMATS.mountOption), { error: "must be a list of mount options" })
        .max(MAX_MOUNT_OPTIONS, `must have at most ${MAX_MOUNT_OPTIONS} options`)
        .optional(),
    }),
    z.strictObject({ ...base, type: z.literal("systemd"), unit: text(FORMATS.systemdUnit) }),
    z.strictObject({ ...base, type: z.literal("command"), start: argv, stop: argv, check: argv }),
  ],
  { error: "must be an agent resource of type mount, systemd or command" },
);

const GroupSchema = z.object(
  {
    id,
    owner: id.nullable(),
    epoch: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must not be negative")
      .max(Number.MAX_SAFE_INTEGER, "is too large"),
    // zod drops a key __proto__ here without a word; `id` refuses every other reserved name (formats.ts). Either
    // way such a name is never among `agentResources`, whose ids `id` checks, so nothing it says is acted on.
    resources: z.record(id, z.enum(["online", "offline"], { error: "must be online or offline" }), {
      error: "must map resource ids to online or offline",
    }),
    agentResources: z.array(AgentResourceSchema, { error: "must be a list of agent resources" }),
  },
  { error: "must be an object" },
);

const AnswerSchema = z.object(
  {
    cluster: text(FORMATS.cluster),
    nodeId: id,
    bootId: z.string({ error: "must be a string" }).regex(UUID, "must be a UUID"),
    seq: z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative"),
    receivedAt: z.iso.datetime({ error: "must be an ISO 8601 time" }),
    leaseDurationMs: wholeMs,
    heartbeatIntervalMs: wholeMs,
    groups: z.array(GroupSchema, { error: "must be a list of groups" }),
  },
  { error: "must be a JSON object" },
);

/**
 * Checks a 200 answer's body against `context`. Never throws: a hostile body gets a list of
 * problems, each with the path of the field at fault.
 */
export function parseAnswer(body: unknown, context: AnswerContext): AnswerResult {
  try {
    const parsed = AnswerSchema.safeParse(body);
    if (!parsed.success) return { ok: false, problems: problemsFromIssues(parsed.error.issues) };
    const answer: HeartbeatAnswer = parsed.data;
    const problems = [...checkEcho(answer, context), ...checkTiming(answer), ...checkGroups(answer)];
    const backwards = checkEpochs(answer, context);
    if (problems.length > 0) return { ok: false, problems: [...problems, ...backwards] };
    const refusedGroups = [...backwards, ...checkAllowed(answer, context.allowList)];
    // One group's lower epoch does not cost every other group its lease: that group alone is left out.
    const refused = new Set(refusedGroups.map((group) => group.groupId));
    const kept = refused.size === 0 ? answer : { ...answer, groups: answer.groups.filter((g) => !refused.has(g.id)) };
    return { ok: true, answer: kept, refusedGroups };
  } catch (error) {
    const reason = error instanceof Error ? error.message : "unknown error";
    return { ok: false, problems: [{ path: "", message: `could not be read (${reason})` }] };
  }
}

/** The problems as one line for the log. */
export function describeAnswerProblems(problems: readonly AnswerProblem[]): string {
  return problems.map((p) => `${p.path === "" ? "" : `${p.path}: `}${p.message}`).join("; ");
}

function checkEcho(answer: HeartbeatAnswer, context: AnswerContext): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  if (answer.nodeId !== context.nodeId) {
    problems.push({ path: "nodeId", message: `is ${answer.nodeId}, but this node is ${context.nodeId}` });
  }
  if (answer.bootId.toLowerCase() !== context.bootId.toLowerCase()) {
    problems.push({ path: "bootId", message: `is ${answer.bootId}, not this run's ${context.bootId}` });
  }
  if (answer.seq !== context.seq) {
    problems.push({ path: "seq", message: `is ${answer.seq}, but the heartbeat sent was ${context.seq}` });
  }
  if (context.cluster !== undefined && answer.cluster !== context.cluster) {
    problems.push({
      path: "cluster",
      message: `changed from ${context.cluster} to ${answer.cluster}; restart the agent if the node really moved to another cluster`,
    });
  }
  return problems;
}

function checkTiming(answer: HeartbeatAnswer): AnswerProblem[] {
  const { heartbeatIntervalMs: interval, leaseDurationMs: lease } = answer;
  const problems: AnswerProblem[] = [];
  if (interval < TIMING_LIMITS.minHeartbeatIntervalMs || interval > TIMING_LIMITS.maxHeartbeatIntervalMs) {
    problems.push({
      path: "heartbeatIntervalMs",
      message: `${interval} is outside the definition's limits (${TIMING_LIMITS.minHeartbeatIntervalMs} to ${TIMING_LIMITS.maxHeartbeatIntervalMs})`,
    });
  }
  if (lease > TIMING_LIMITS.maxLeaseDurationMs || lease < TIMING_LIMITS.minLeaseHeartbeatRatio * interval) {
    problems.push({
      path: "leaseDurationMs",
      message: `${lease} is outside the definition's limits (${TIMING_LIMITS.minLeaseHeartbeatRatio} heartbeat intervals to ${TIMING_LIMITS.maxLeaseDurationMs})`,
    });
  }
  return problems;
}

/** Groups whose epoch is below one seen before: epochs only grow, so that group's view cannot be believed. */
function checkEpochs(answer: HeartbeatAnswer, context: AnswerContext): RefusedGroup[] {
  const refused: RefusedGroup[] = [];
  answer.groups.forEach((group, g) => {
    const seen = context.epochs?.get(group.id);
    if (seen !== undefined && group.epoch < seen) {
      refused.push({
        groupId: group.id,
        reason: "epoch",
        path: formatPath(["groups", g, "epoch"]),
        message: `went back from ${seen} to ${group.epoch}; epochs only grow`,
      });
    }
  });
  return refused;
}

/**
 * Groups that name a program, unit or mount path outside the allow-list, in any resource, whatever its desired
 * state: a resource first seen may be stopped with the answer's spec, which would run its stop program.
 */
function checkAllowed(answer: HeartbeatAnswer, allowList: AllowList | undefined): RefusedGroup[] {
  if (allowList === undefined) return [];
  const refused: RefusedGroup[] = [];
  answer.groups.forEach((group, g) => {
    const found = group.agentResources.flatMap((spec, r) =>
      notAllowed(spec, allowList).map((item) => `${formatPath(["agentResources", r, item.field])} ${item.message}`),
    );
    if (found.length > 0) {
      refused.push({
        groupId: group.id,
        reason: "not-allowed",
        path: formatPath(["groups", g]),
        message: `names what the allow-list in agent.yaml does not allow: ${found.join("; ")}`,
      });
    }
  });
  return refused;
}

function checkGroups(answer: HeartbeatAnswer): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const groupIds = new Set<GroupId>();
  const resourceIds = new Set<ResourceId>();
  const timingSound = checkTiming(answer).length === 0;
  answer.groups.forEach((group, g) => {
    const at = (...path: PropertyKey[]) => formatPath(["groups", g, ...path]);
    if (groupIds.has(group.id)) problems.push({ path: at("id"), message: `${group.id} is listed twice` });
    groupIds.add(group.id);

    const earlier = new Set<ResourceId>();
    group.agentResources.forEach((resource, r) => {
      if (resourceIds.has(resource.id)) {
        problems.push({ path: at("agentResources", r, "id"), message: `${resource.id} is listed twice` });
      }
      resourceIds.add(resource.id);
      resource.dependsOn.forEach((dependency, d) => {
        if (!earlier.has(dependency)) {
          problems.push({
            path: at("agentResources", r, "dependsOn", d),
            message: `${dependency} is not an agent resource listed before ${resource.id} in group ${group.id}`,
          });
        }
      });
      if (resource.stopTimeoutMs > resource.pendingTimeoutMs) {
        problems.push({ path: at("agentResources", r, "stopTimeoutMs"), message: "is longer than pendingTimeoutMs" });
      }
      earlier.add(resource.id);
    });

    for (const [resourceId, desired] of Object.entries(group.resources)) {
      if (!earlier.has(resourceId)) {
        problems.push({
          path: at("resources", resourceId),
          message: `${resourceId} is not among group ${group.id}'s agentResources`,
        });
      } else if (desired === "online" && group.owner !== answer.nodeId) {
        problems.push({
          path: at("resources", resourceId),
          message: `is online, but the group's owner is ${group.owner ?? "nobody"}, not this node`,
        });
      }
    }
    for (const resourceId of earlier) {
      if (!Object.hasOwn(group.resources, resourceId)) {
        problems.push({ path: at("resources"), message: `has no desired state for ${resourceId}` });
      }
    }

    if (timingSound) {
      const budget = groupStopBudgetMs(group.agentResources.map((resource) => resource.stopTimeoutMs));
      const allowed = maxStopBudgetMs(answer);
      if (budget > allowed) {
        problems.push({
          path: at("agentResources"),
          message: `the group needs ${formatDuration(budget)} to stop, more than the ${formatDuration(allowed)} its lease allows (the definition should have refused this)`,
        });
      }
    }
  });
  return problems;
}
