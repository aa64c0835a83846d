/**
 * What a node lets the cluster run on it (agent.yaml `allowedPrograms`, `allowedUnits` and `allowedMounts`,
 * docs/agent.md).
 * The heartbeat answer names the programs and units the agent runs as root; it is protected by TLS and
 * the API's IAM authorization only, so whoever can change the heartbeat function's code could otherwise
 * run anything on every node. With an allow-list, a group whose answer names anything outside it is
 * refused (`parseAnswer`): nothing of it starts, and what of it runs is stopped.
 *
 * Matching is on the text of the path, never on the file system:
 * - a program or mount entry without a trailing '/' allows that one path;
 * - an entry ending in '/' allows every path under that directory, at any depth;
 * - entries and programs are absolute and normal: no `.` or `..` segment, no `//` (the answer's own
 *   checks refuse such programs; `programAllowed` refuses them again), so `/opt/app/../../bin/sh` is
 *   never under `/opt/app/`. Symbolic links are not followed: list directories only root can write to.
 * - a unit entry is a systemd unit name where `*` stands for any characters (none too) and `?` for one:
 *   `app@*.service`.
 */
import type { AgentResourceSpec } from "./spec.js";

export interface AllowList {
  /** Absolute program paths; an entry ending in '/' allows every program under that directory. */
  readonly programs: readonly string[];
  /** systemd unit names, `*` and `?` as wildcards. */
  readonly units: readonly string[];
  /** Mount paths; an entry ending in '/' allows every path under that directory. */
  readonly mounts: readonly string[];
}

/** One thing a resource names that the list does not allow: where in the resource, and what. */
export interface NotAllowed {
  /** The field of the resource: `start`, `stop`, `check` or `unit`. */
  readonly field: string;
  readonly message: string;
}

const SEGMENT = /^[A-Za-z0-9._@+-]+$/;

/** Whether `path` is absolute and normal: '/'-separated segments, none empty, `.` or `..`. */
function isNormalAbsolute(path: string): boolean {
  if (!path.startsWith("/")) return false;
  return path
    .slice(1)
    .split("/")
    .every((segment) => SEGMENT.test(segment) && segment !== "." && segment !== "..");
}

/**
 * What is wrong with a program entry of agent.yaml, as the end of "... is not" / a sentence; undefined when good.
 * Good: `/usr/local/bin/check-pg` (that program) or `/opt/app/` (everything under /opt/app).
 */
export function programEntryProblem(entry: string): string | undefined {
  return pathEntryProblem(entry, "program", "/usr/local/bin/check-pg or /opt/app/");
}

/** What is wrong with a mount entry of agent.yaml; undefined when good. Good: `/var/lib/postgresql`, `/srv/`. */
export function mountEntryProblem(entry: string): string | undefined {
  return pathEntryProblem(entry, "mount", "/var/lib/postgresql or /srv/");
}

function pathEntryProblem(entry: string, what: "program" | "mount", examples: string): string | undefined {
  if (entry === "/") {
    return `allows every ${what} path, which is no allow-list; list the paths, or their directories ending in "/", such as ${examples}.`;
  }
  const directory = entry.endsWith("/");
  if (!isNormalAbsolute(directory ? entry.slice(0, -1) : entry)) {
    return `${JSON.stringify(entry)} is not an absolute ${what} path, or a directory ending in "/", written plainly (letters, digits, '.', '_', '@', '+' or '-' between single '/', no . or .. segment), such as ${examples}.`;
  }
  return undefined;
}

const UNIT_PATTERN = /^[A-Za-z0-9:_.@*?-]{1,256}$/;

/** What is wrong with a unit entry of agent.yaml; undefined when good. */
export function unitEntryProblem(entry: string): string | undefined {
  if (!UNIT_PATTERN.test(entry)) {
    return `${JSON.stringify(entry)} is not a systemd unit name or pattern: letters, digits, ':', '_', '.', '@', '-', and '*' or '?' as wildcards, such as postgresql.service or app@*.service.`;
  }
  return undefined;
}

/** Whether the list allows running `program` (a program path of the answer). */
export function programAllowed(list: AllowList, program: string): boolean {
  return pathAllowed(list.programs, program);
}

/** Whether the list allows mounting at `path` (a mount path of the answer). */
export function mountAllowed(list: AllowList, path: string): boolean {
  return pathAllowed(list.mounts, path);
}

function pathAllowed(entries: readonly string[], path: string): boolean {
  if (!isNormalAbsolute(path)) return false;
  return entries.some((entry) =>
    entry.endsWith("/") ? path.length > entry.length && path.startsWith(entry) : path === entry,
  );
}

/** Whether the list allows starting and stopping `unit`. */
export function unitAllowed(list: AllowList, unit: string): boolean {
  return list.units.some((entry) => globMatches(entry, unit));
}

/** Each unit pattern compiled once: an answer is checked against the list on every heartbeat. */
const compiled = new Map<string, RegExp>();

function globMatches(pattern: string, text: string): boolean {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const source = [...pattern]
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\-]/g, "\\$&")))
      .join("");
    regex = new RegExp(`^${source}$`, "s");
    compiled.set(pattern, regex);
  }
  return regex.test(text);
}

/**
 * What in `spec` the list does not allow: a command's programs, a unit, a mount's path (a volume mounted
 * over /etc or /root would be as good as running a program).
 */
export function notAllowed(spec: AgentResourceSpec, list: AllowList): NotAllowed[] {
  switch (spec.type) {
    case "command":
      return (["start", "stop", "check"] as const).flatMap((field) => {
        const program = spec[field][0] ?? "";
        return programAllowed(list, program)
          ? []
          : [{ field, message: `${JSON.stringify(program)} is not in allowedPrograms` }];
      });
    case "systemd":
      return unitAllowed(list, spec.unit)
        ? []
        : [{ field: "unit", message: `${JSON.stringify(spec.unit)} is not in allowedUnits` }];
    case "mount":
      return mountAllowed(list, spec.path)
        ? []
        : [{ field: "path", message: `${JSON.stringify(spec.path)} is not in allowedMounts` }];
  }
}
