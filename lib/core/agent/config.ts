/**
 * The agent's local configuration (`/etc/baton/agent.yaml`, docs/agent.md): where to send heartbeats,
 * as which node, in which region, through which proxy. Credentials are not here: they come from the
 * standard AWS chain. Parsed like the cluster definition: every problem at once, each with its path,
 * its line and what to do. Takes text, never a path: reading the file is the caller's business.
 */
import * as z from "zod";
import { formatProblems } from "../definition/errors.js";
import { FORMATS } from "../definition/formats.js";
import { problemsFromIssues } from "../definition/issues.js";
import { choices, expected } from "../definition/messages.js";
import { loadYamlText } from "../definition/yaml-text.js";
import { redactUrl, redactUrls } from "../redact.js";
import { mountEntryProblem, programEntryProblem, unitEntryProblem, type AllowList } from "./allow-list.js";
import type { DefinitionProblem, NodeId } from "../definition/types.js";

export const DEFAULT_AGENT_CONFIG_PATH = "/etc/baton/agent.yaml";

export interface AgentConfig {
  /** The stack output `HeartbeatUrl`. */
  readonly heartbeatUrl: string;
  /** This node's `id` in the cluster definition. */
  readonly nodeId: NodeId;
  /** The cluster's region (the SigV4 scope). */
  readonly region: string;
  /** An HTTP proxy for the heartbeats; when absent, HTTPS_PROXY and NO_PROXY decide. */
  readonly proxy?: string;
  /** A watchdog device the agent keeps fed while its loop runs, so a hung agent resets the node (docs/agent.md). */
  readonly watchdog?: { readonly device: string };
  /** `debug` also logs the output of the programs the agent runs (their last 2 KiB). @default "info" */
  readonly logLevel?: "info" | "debug";
  /**
   * The programs answers may name (`allow-list.ts`): absolute paths, or directories ending in '/'.
   * The three `allowed*` keys are given together or not at all.
   */
  readonly allowedPrograms?: readonly string[];
  /** The systemd units answers may name, `*` and `?` as wildcards. */
  readonly allowedUnits?: readonly string[];
  /** The paths answers may mount volumes at: absolute paths, or directories ending in '/'. */
  readonly allowedMounts?: readonly string[];
}

/** The allow-list the configuration sets, if any (the three keys are then present). */
export function allowListOf(config: AgentConfig): AllowList | undefined {
  const { allowedPrograms: programs, allowedUnits: units, allowedMounts: mounts } = config;
  if (programs === undefined || units === undefined || mounts === undefined) return undefined;
  return { programs, units, mounts };
}

/** One thing wrong with the configuration: where (path, line) and what to do. */
export type AgentConfigProblem = DefinitionProblem;

export type AgentConfigResult =
  | { readonly ok: true; readonly config: AgentConfig }
  | { readonly ok: false; readonly problems: readonly AgentConfigProblem[] };

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** A URL as messages show it: quoted, its password (if any) replaced by *** (messages end up in logs). */
function shownUrl(text: string): string {
  return JSON.stringify(redactUrl(text));
}

function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${shownUrl(text)} is not a URL; use the stack output HeartbeatUrl, such as https://abc123.execute-api.us-east-1.amazonaws.com/v1/heartbeat.`;
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.test(url.hostname)) {
    return `${shownUrl(text)} is plain http to a host that is not loopback; heartbeats carry the node's signature and lease, so use https:// (http:// is accepted only for localhost, for tests).`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${shownUrl(text)} is not an https:// URL; use the stack output HeartbeatUrl.`;
  }
  if (url.username !== "" || url.password !== "") {
    return "must not hold a user name or password: requests are signed with the node's AWS credentials, from the standard chain (instance profile, Roles Anywhere).";
  }
  if (url.search !== "" || url.hash !== "")
    return "must not have a query (?...) or a fragment (#...); use HeartbeatUrl as the stack prints it.";
  return undefined;
}

function proxyProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${shownUrl(text)} is not a URL; write the proxy as http://proxy.example:3128.`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `${shownUrl(text)} is not an http:// or https:// URL; write the proxy as http://proxy.example:3128.`;
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    return `${shownUrl(text)} has a path, query or fragment; a proxy is a scheme, a host and a port, such as http://proxy.example:3128.`;
  }
  return undefined;
}

function devicePathProblem(text: string): string | undefined {
  if (!text.startsWith("/") || text.split("/").some((part) => part === "." || part === "..")) {
    return `${JSON.stringify(text)} is not an absolute path; write the device as /dev/watchdog0.`;
  }
  return undefined;
}

function checked(what: string, problem: (text: string) => string | undefined) {
  return z.string({ error: (issue) => expected(issue.input, what) }).check((ctx) => {
    const message = problem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: "custom", message, input: ctx.value });
  });
}

function formatted(format: { readonly test: (text: string) => boolean; readonly describe: string }) {
  return z
    .string({ error: (issue) => expected(issue.input, format.describe) })
    .refine(format.test, { error: (issue) => expected(issue.input, format.describe) });
}

/** An optional list of `what`, each entry checked by `problem`. */
function entries(what: string, listOf: string, problem: (entry: string) => string | undefined) {
  return z
    .array(checked(what, problem), { error: (issue) => expected(issue.input, `a list of the ${listOf}`) })
    .optional();
}

/** The lists of the allow-list: all or none, so that leaving one out never means "anything". */
const ALLOW_LIST_KEYS = {
  allowedPrograms: "the programs answers may name",
  allowedUnits: "the systemd units answers may name",
  allowedMounts: "the paths answers may mount volumes at",
} as const;

/** Checked on the raw mapping, so that these problems are listed with any others. */
function allowListProblems(data: unknown): AgentConfigProblem[] {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return [];
  const given = (key: string) => Object.hasOwn(data, key) && (data as Record<string, unknown>)[key] !== undefined;
  const keys = Object.keys(ALLOW_LIST_KEYS) as (keyof typeof ALLOW_LIST_KEYS)[];
  const present = keys.find(given);
  if (present === undefined) return [];
  return keys
    .filter((key) => !given(key))
    .map((key) => ({
      path: key,
      message: `missing; ${present} is set, so add ${key} too: ${ALLOW_LIST_KEYS[key]} (${key}: [] for none).`,
    }));
}

const SHAPE = {
  heartbeatUrl: checked("the stack output HeartbeatUrl (an https:// URL)", urlProblem),
  nodeId: formatted({ ...FORMATS.id, describe: `this node's id in the cluster definition: ${FORMATS.id.describe}` }),
  region: formatted({ ...FORMATS.region, describe: `the cluster's region: ${FORMATS.region.describe}` }),
  proxy: checked("a proxy URL such as http://proxy.example:3128", proxyProblem).optional(),
  watchdog: z
    .strictObject(
      {
        device: checked("the watchdog device's absolute path, such as /dev/watchdog0", devicePathProblem),
      },
      {
        error: (issue) =>
          issue.code === "unrecognized_keys"
            ? "allowed keys: device."
            : expected(issue.input, "a mapping with the watchdog's device, such as {device: /dev/watchdog0}"),
      },
    )
    .optional(),
  logLevel: z
    .enum(["info", "debug"], {
      error: (issue) =>
        expected(issue.input, "a log level: info, or debug to log the output of the programs the agent runs"),
    })
    .optional(),
  allowedPrograms: entries(
    "an absolute program path, or a directory ending in /, such as /opt/app/",
    "programs answers may name",
    programEntryProblem,
  ),
  allowedUnits: entries(
    "a systemd unit name or pattern such as postgresql.service or app@*.service",
    "systemd units answers may name",
    unitEntryProblem,
  ),
  allowedMounts: entries(
    "an absolute mount path, or a directory ending in /, such as /srv/",
    "paths answers may mount volumes at",
    mountEntryProblem,
  ),
};

const ConfigSchema = z.strictObject(SHAPE, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `allowed keys: ${choices(Object.keys(SHAPE))}.`
      : expected(issue.input, `the agent configuration (a mapping with keys ${choices(Object.keys(SHAPE))})`),
});

/**
 * Parses `text` as YAML, validates it, and sets `line` on each problem. YAML errors are reported
 * alone: the document they leave behind is not what the user meant. Never throws.
 */
export function loadAgentConfigText(text: string): AgentConfigResult {
  const result = loadYamlText(text, "the file is empty; write heartbeatUrl, nodeId and region in it.", (data) => {
    const parsed = ConfigSchema.safeParse(data);
    const problems = [...(parsed.success ? [] : problemsFromIssues(parsed.error.issues)), ...allowListProblems(data)];
    return parsed.success && problems.length === 0 ? { ok: true, value: parsed.data } : { ok: false, problems };
  });
  if (result.ok) return { ok: true, config: result.value };
  // Whatever a message quotes (a YAML error's text too), a proxy's password never reaches the log.
  return { ok: false, problems: result.problems.map((p) => ({ ...p, message: redactUrls(p.message) })) };
}

/**
 * A header line, then one line per problem, as the cluster definition's are written:
 *
 *     /etc/baton/agent.yaml: 2 problems in the agent configuration:
 *       /etc/baton/agent.yaml:1 heartbeatUrl: "http://example.com" is plain http to a host ...
 *       /etc/baton/agent.yaml:2 region: missing; add the cluster's region ...
 */
export function formatConfigProblems(problems: readonly AgentConfigProblem[], source: string): string {
  return formatProblems(problems, source, "the agent configuration");
}

/** Thrown by callers that cannot go on with an invalid configuration; the message lists every problem. */
export class AgentConfigError extends Error {
  override readonly name = "AgentConfigError";
  readonly problems: readonly AgentConfigProblem[];

  constructor(problems: readonly AgentConfigProblem[], source: string, options?: ErrorOptions) {
    super(formatConfigProblems(problems, source), options);
    this.problems = problems;
  }
}
