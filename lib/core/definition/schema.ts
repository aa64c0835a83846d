// Over 300 lines: one zod declaration tree for the whole YAML document, each node kind and resource type beside the
// leaf builders it uses; split, the document's shape would be spread over files.
/**
 * The shape of the YAML users write, as zod 4 schemas. Every object is strict (an
 * unknown key is a problem that lists the allowed keys), and every leaf words its own
 * message: what was received and what would be accepted. Durations come out in
 * milliseconds, record names normalised, commands as argument lists; defaults are applied
 * later, in `resolve.ts`, because some depend on other parts of the document.
 */
import * as z from "zod";
import { DURATION_FORMS, parseDuration } from "../duration.js";
import {
  canonicalTimeZone,
  FORMATS,
  isReservedName,
  normalizeRecordName,
  RESERVED_NAME_REASON,
  type Format,
} from "./formats.js";
import { choices, expected, show } from "./messages.js";
import { MAX_MOUNT_OPTIONS } from "./limits.js";

/** Zod error option: the message for a value of the wrong type or form. */
function expecting(what: string) {
  return { error: (issue: { input?: unknown }) => expected(issue.input, what) };
}

/**
 * A mapping with exactly these keys (optional ones marked in the shape). Keys in `unlisted` are in
 * the shape only to refuse them with their own message (see `refused`), so they are not offered.
 */
function strict<T extends z.core.$ZodLooseShape>(shape: T, what: string, unlisted: readonly string[] = []) {
  const keys = choices(Object.keys(shape).filter((key) => !unlisted.includes(key)));
  const allowed = `allowed keys${what === "" ? "" : ` in ${what}`}: ${keys}.`;
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? allowed : expected(issue.input, `${what} (a mapping with keys ${keys})`),
  });
}

/** A key that must not be written here, refused with `message` (which says why and what to do). */
function refused(message: string) {
  return z.never({ error: message }).optional();
}

/** A mapping whose `key` picks one of `variants`. */
function tagged<K extends string, V extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  key: K,
  variants: V,
  options: readonly string[],
  what: string,
) {
  return z.discriminatedUnion(key, variants, {
    error: (issue) => {
      if (issue.code !== "invalid_union") return expected(issue.input, what);
      const input = issue.input;
      const value = typeof input === "object" && input !== null ? (input as Record<string, unknown>)[key] : undefined;
      return `${value === undefined ? "missing" : `${show(value)} is not a ${key} here`}; use one of: ${choices(options)}.`;
    },
  });
}

function text(format: Format) {
  return z.string(expecting(format.describe)).refine(format.test, expecting(format.describe));
}

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** A value that `read` turns into T, or rejects with its own message. */
function custom<T>(read: (input: unknown) => Read<T>) {
  return z.unknown().transform((input, ctx): T => {
    const result = read(input);
    if (result.ok) return result.value;
    ctx.issues.push({ code: "custom", message: result.message, input });
    return z.NEVER;
  });
}

const DURATION = `a duration: ${DURATION_FORMS}`;

function duration() {
  return custom((input): Read<number> => {
    const ms = typeof input === "string" ? parseDuration(input) : undefined;
    if (ms === undefined) return { ok: false, message: expected(input, DURATION) };
    if (ms === 0) return { ok: false, message: `${show(input)} is zero; give ${DURATION}, longer than zero.` };
    return { ok: true, value: ms };
  });
}

function wholeNumber(min: number, max: number, what: string) {
  const describe = `${what}: a whole number from ${min} to ${max}`;
  return z
    .number(expecting(describe))
    .int(expecting(describe))
    .min(min, expecting(describe))
    .max(max, expecting(describe));
}

/** An id, and every reference to one. A reserved name (`constructor`, `__proto__`: formats.ts) is refused for what it is. */
const id = custom((input): Read<string> => {
  if (typeof input === "string" && isReservedName(input)) {
    return { ok: false, message: `${show(input)} is reserved: ${RESERVED_NAME_REASON}; pick another name.` };
  }
  if (typeof input !== "string" || !FORMATS.id.test(input))
    return { ok: false, message: expected(input, FORMATS.id.describe) };
  return { ok: true, value: input };
});

function idList(what: string) {
  return z.array(id, expecting(`a list of ${what}, such as [a, b]`));
}

// ---------------------------------------------------------------------------------------
// Timing and notifications

export const TimingSchema = strict(
  {
    heartbeatInterval: duration().optional(),
    leaseDuration: duration().optional(),
    controllerTick: duration().optional(),
  },
  "timing",
);

export const NotificationsSchema = strict(
  { email: z.array(text(FORMATS.email), expecting("a list of email addresses, such as [ops@example.com]")).optional() },
  "notifications",
);

/** How nodes reach the heartbeat function (docs/definition.md, "The heartbeat endpoint"). */
export const ENDPOINT_KINDS = ["function-url", "http-api"] as const;

export const EndpointSchema = z.enum(
  ENDPOINT_KINDS,
  expecting(`a heartbeat endpoint kind: one of ${choices(ENDPOINT_KINDS)}`),
);

// ---------------------------------------------------------------------------------------
// Nodes

export const NODE_KINDS = ["ec2", "onprem"] as const;

const Ec2NodeSchema = strict(
  {
    id,
    kind: z.literal("ec2"),
    instanceId: text(FORMATS.instanceId),
    availabilityZone: text(FORMATS.availabilityZone),
    principal: text(FORMATS.rolePrincipal),
    principalId: text(FORMATS.principalId).optional(),
  },
  "an ec2 node",
);

const OnpremNodeSchema = strict(
  {
    id,
    kind: z.literal("onprem"),
    principal: text(FORMATS.principal),
    principalId: text(FORMATS.principalId).optional(),
    address: text(FORMATS.ipv4),
  },
  "an onprem node",
);

/** Each node kind's schema, for reading a broken node field by field. */
export const NODE_SCHEMAS = { ec2: Ec2NodeSchema, onprem: OnpremNodeSchema } as const;

export const NodeSchema = tagged(
  "kind",
  [Ec2NodeSchema, OnpremNodeSchema],
  NODE_KINDS,
  "a node (a mapping with id and kind)",
);

// ---------------------------------------------------------------------------------------
// Resources

export const RESOURCE_TYPES = ["ebs-volume", "elastic-ip", "dns-record", "mount", "systemd", "command"] as const;

const RestartSchema = strict(
  { threshold: wholeNumber(0, 1000, "a restart threshold").optional(), period: duration().optional() },
  "restart",
);

const common = {
  id,
  dependsOn: idList("resource ids of the same group").optional(),
  restart: RestartSchema.optional(),
  pendingTimeout: duration().optional(),
};

/** Keys of the resources the owner's agent runs (mount, systemd, command). */
const agentSide = {
  ...common,
  /** Longest the agent may take to stop the resource when it stops it on its own (self-fencing). */
  stopTimeout: duration().optional(),
};

/** Keys of the resources the controller moves through AWS: `stopTimeout` refused with a reason. */
function controllerSide(aType: string) {
  return {
    ...common,
    stopTimeout: refused(
      `applies only to the resources a node's agent stops (mount, systemd, command); the controller moves ${aType} through AWS, and a node never stops it on its own, so remove stopTimeout here.`,
    ),
  };
}
const CONTROLLER_ONLY_KEYS = ["stopTimeout"];

const COMMAND =
  "a command: one absolute program path as a string (not split on spaces), or a list of the program path and its arguments, such as [/opt/app/start.sh, --fast]";

const command = custom((input): Read<string[]> => {
  const argv = typeof input === "string" ? [input] : input;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === "string")) {
    return { ok: false, message: expected(input, COMMAND) };
  }
  const [program] = argv;
  if (program === undefined || !FORMATS.program.test(program)) {
    const hint = typeof input === "string" && input.includes(" ") ? " To pass arguments, write a list." : "";
    return {
      ok: false,
      message: `${show(program)} is not ${FORMATS.program.describe}; it runs without a shell.${hint}`,
    };
  }
  if (argv.some((arg) => arg.includes("\0"))) {
    return { ok: false, message: "an argument holds a NUL character, which no program can receive; remove it." };
  }
  return { ok: true, value: argv };
});

const EbsVolumeSchema = strict(
  {
    ...controllerSide("an ebs-volume"),
    type: z.literal("ebs-volume"),
    volumeId: text(FORMATS.volumeId),
    device: text(FORMATS.device),
  },
  "an ebs-volume resource",
  CONTROLLER_ONLY_KEYS,
);

const ElasticIpSchema = strict(
  { ...controllerSide("an elastic-ip"), type: z.literal("elastic-ip"), allocationId: text(FORMATS.allocationId) },
  "an elastic-ip resource",
  CONTROLLER_ONLY_KEYS,
);

export const DNS_TARGETS = ["private-ip", "public-ip"] as const;

const DnsRecordSchema = strict(
  {
    ...controllerSide("a dns-record"),
    type: z.literal("dns-record"),
    hostedZoneId: text(FORMATS.hostedZoneId),
    name: text(FORMATS.recordName).transform(normalizeRecordName),
    ttl: wholeNumber(0, 2_147_483_647, "a TTL in seconds").optional(),
    target: z.enum(DNS_TARGETS, expecting(`a record target: one of ${choices(DNS_TARGETS)}`)).optional(),
  },
  "a dns-record resource",
  CONTROLLER_ONLY_KEYS,
);

/** A mount's options, one per item; the agent always puts nosuid,nodev before them. */
const mountOptions = z
  .array(
    text(FORMATS.mountOption),
    expecting("a list of mount options, one per item, such as [noatime, commit=60] (nosuid and nodev come first)"),
  )
  .max(MAX_MOUNT_OPTIONS, `has more than ${MAX_MOUNT_OPTIONS} options; keep those that matter.`);

const MountSchema = strict(
  {
    ...agentSide,
    type: z.literal("mount"),
    volume: id,
    path: text(FORMATS.mountPath),
    options: mountOptions.optional(),
  },
  "a mount resource",
);

const SystemdSchema = strict(
  { ...agentSide, type: z.literal("systemd"), unit: text(FORMATS.systemdUnit) },
  "a systemd resource",
);

const CommandSchema = strict(
  { ...agentSide, type: z.literal("command"), start: command, stop: command, check: command },
  "a command resource",
);

/** Each resource type's schema, for reading a broken resource field by field. */
export const RESOURCE_SCHEMAS = {
  "ebs-volume": EbsVolumeSchema,
  "elastic-ip": ElasticIpSchema,
  "dns-record": DnsRecordSchema,
  mount: MountSchema,
  systemd: SystemdSchema,
  command: CommandSchema,
} as const;

export const ResourceSchema = tagged(
  "type",
  [EbsVolumeSchema, ElasticIpSchema, DnsRecordSchema, MountSchema, SystemdSchema, CommandSchema],
  RESOURCE_TYPES,
  "a resource (a mapping with id and type)",
);

// ---------------------------------------------------------------------------------------
// Groups

export const FAILBACK_MODES = ["never", "immediate", "window"] as const;

const WINDOW = 'a daily window "HH:MM-HH:MM" in 24-hour time, such as "01:00-05:00" (it may span midnight)';
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

const window = custom((input): Read<{ startMinute: number; endMinute: number }> => {
  const match = typeof input === "string" ? CLOCK.exec(input) : null;
  if (match === null) return { ok: false, message: expected(input, WINDOW) };
  const [startMinute, endMinute] = [Number(match[1]) * 60 + Number(match[2]), Number(match[3]) * 60 + Number(match[4])];
  if (startMinute === endMinute) {
    return {
      ok: false,
      message: `${show(input)} opens and closes at the same minute; give ${WINDOW}, or use mode: immediate to fail back at any time.`,
    };
  }
  return { ok: true, value: { startMinute, endMinute } };
});

const TIME_ZONE = "an IANA time zone name such as UTC or Europe/Paris";

const timeZone = custom((input): Read<string> => {
  const zone = typeof input === "string" ? canonicalTimeZone(input) : undefined;
  return zone === undefined ? { ok: false, message: expected(input, TIME_ZONE) } : { ok: true, value: zone };
});

const FailbackSchema = tagged(
  "mode",
  [
    strict({ mode: z.literal("never") }, "failback mode never"),
    strict({ mode: z.literal("immediate") }, "failback mode immediate"),
    strict({ mode: z.literal("window"), window, timeZone: timeZone.optional() }, "failback mode window"),
  ],
  FAILBACK_MODES,
  "a failback policy such as { mode: never }",
);

const FailoverSchema = strict(
  { threshold: wholeNumber(1, 1000, "a failover threshold").optional(), period: duration().optional() },
  "failover",
);

export const FENCING_MODES = ["stop-instance", "none"] as const;

/** A CloudWatch alarm named by `failoverOn`: its name, and its ARN's region and account when given as an ARN. */
export interface AlarmReference {
  /** As written (a name or an ARN). */
  readonly alarm: string;
  readonly name: string;
  readonly region?: string;
  readonly account?: string;
  /** The node the alarm is about, when written: `{ alarm, node }`. */
  readonly node?: string;
}

const ALARM = 'a CloudWatch alarm name (1 to 255 characters) or ARN ("arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME")';
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]*):(\d*):alarm:(.+)$/;

function alarmName(input: unknown): Read<Omit<AlarmReference, "node">> {
  if (typeof input !== "string") return { ok: false, message: expected(input, ALARM) };
  if (input.startsWith("arn:")) {
    const match = ALARM_ARN.exec(input);
    if (match === null || match[1] === "" || match[2]?.length !== 12 || match[3]!.length > 255) {
      return { ok: false, message: `${show(input)} is not a CloudWatch alarm ARN; give ${ALARM}.` };
    }
    return { ok: true, value: { alarm: input, name: match[3]!, region: match[1]!, account: match[2] } };
  }
  // CloudWatch accepts any printable name up to 255 characters; control characters cannot be matched in an event.
  // eslint-disable-next-line no-control-regex
  if (input.length < 1 || input.length > 255 || /[\u0000-\u001f\u007f]/.test(input)) {
    return { ok: false, message: expected(input, ALARM) };
  }
  return { ok: true, value: { alarm: input, name: input } };
}

const alarmReference = custom((input): Read<AlarmReference> => {
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    const entry = input as Record<string, unknown>;
    const extra = Object.keys(entry).filter((key) => key !== "alarm" && key !== "node");
    if (extra.length > 0 || !Object.hasOwn(entry, "alarm") || !Object.hasOwn(entry, "node")) {
      return {
        ok: false,
        message: `${show(input)} is not an alarm entry; give ${ALARM}, or { alarm: NAME-OR-ARN, node: NODE-ID } for an alarm about one node (allowed keys: alarm, node).`,
      };
    }
    const read = alarmName(entry.alarm);
    if (!read.ok) return read;
    if (typeof entry.node !== "string" || entry.node === "") {
      return { ok: false, message: `node: ${expected(entry.node, "a node id of the group's preferred owners")}` };
    }
    return { ok: true, value: { ...read.value, node: entry.node } };
  }
  return alarmName(input);
});

export const GroupSchema = strict(
  {
    id,
    preferredOwners: idList("node ids, most preferred first").min(1, {
      error: "is empty; list the nodes that may own this group, most preferred first.",
    }),
    failover: FailoverSchema.optional(),
    failback: FailbackSchema.optional(),
    fencing: z.enum(FENCING_MODES, expecting(`a fencing mode: one of ${choices(FENCING_MODES)}`)).optional(),
    failoverOn: z
      .array(alarmReference, expecting("a list of CloudWatch alarm names or ARNs that fail the group over"))
      .optional(),
    resources: z
      .array(ResourceSchema, expecting("a list of resources"))
      .min(1, { error: "is empty; a group needs at least one resource." }),
  },
  "a group",
);

// ---------------------------------------------------------------------------------------
// The whole document

export const ClusterSchema = strict(
  {
    cluster: text(FORMATS.cluster),
    region: text(FORMATS.region),
    timing: TimingSchema.optional(),
    notifications: NotificationsSchema.optional(),
    endpoint: EndpointSchema.optional(),
    nodes: z.array(NodeSchema, expecting("a list of nodes")).min(1, { error: "is empty; list the cluster's nodes." }),
    groups: z.array(GroupSchema, expecting("a list of groups")),
  },
  "the cluster definition",
);

export type ClusterInput = z.output<typeof ClusterSchema>;
export type NodeInput = z.output<typeof NodeSchema>;
export type GroupInput = z.output<typeof GroupSchema>;
export type ResourceInput = z.output<typeof ResourceSchema>;
export type TimingInput = z.output<typeof TimingSchema>;
