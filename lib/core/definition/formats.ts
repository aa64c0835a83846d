/**
 * Shapes of the names and AWS identifiers a definition holds. Each entry pairs a test
 * with a description that completes "... is not <description>" in problem messages, so
 * the message always says what would have been accepted.
 */

export interface Format {
  readonly test: (text: string) => boolean;
  readonly describe: string;
}

function pattern(re: RegExp, describe: string): Format {
  return { test: (text) => re.test(text), describe };
}

/**
 * The names of the properties every JavaScript object has (those of `Object.prototype`). They are never
 * ids: a node, group or resource id is a key in lookups, in the table and in heartbeats, and a lookup of
 * such a name in a plain object finds the property instead (`__proto__` even vanishes from parsed JSON).
 * Written out rather than read from the runtime, so the functions and every agent refuse the same names
 * whatever their Node version.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "constructor",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "toString",
  "valueOf",
]);

/** Whether `name` is one of the {@link RESERVED_NAMES}, which no id may be. */
export function isReservedName(name: string): boolean {
  return RESERVED_NAMES.has(name);
}

/** Why a reserved name cannot be an id, for the messages that refuse one. */
export const RESERVED_NAME_REASON =
  "every JavaScript object has a property of that name, which a lookup by id could find instead";

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const HEX_8_OR_17 = "(?:[0-9a-f]{8}|[0-9a-f]{17})";

const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IAM_NAME_CHARS = "[\\w+=,.@-]";
const IPV4_OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

export const FORMATS = {
  cluster: pattern(
    /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
    "a cluster name: 1 to 32 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it is used in AWS resource names), such as orders-db",
  ),
  // Reserved names have the form of an id but are not ids; the definition's schema refuses them with their own message.
  id: {
    test: (text) => ID.test(text) && !isReservedName(text),
    describe: "an id: 1 to 64 letters, digits, '-' or '_', such as db-a",
  },
  region: pattern(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, "an AWS region name such as us-east-1"),
  availabilityZone: pattern(
    /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}[a-z]$/,
    "an availability zone name: the region followed by a letter, such as us-east-1a",
  ),
  instanceId: pattern(
    new RegExp(`^i-${HEX_8_OR_17}$`),
    "an EC2 instance id: i- followed by 8 or 17 lowercase hex digits, such as i-0a1b2c3d4e5f60001",
  ),
  volumeId: pattern(
    new RegExp(`^vol-${HEX_8_OR_17}$`),
    "an EBS volume id: vol- followed by 8 or 17 lowercase hex digits, such as vol-0a1b2c3d4e5f60001",
  ),
  allocationId: pattern(
    new RegExp(`^eipalloc-${HEX_8_OR_17}$`),
    "an Elastic IP allocation id: eipalloc- followed by 8 or 17 lowercase hex digits, such as eipalloc-0a1b2c3d4e5f60001",
  ),
  hostedZoneId: pattern(
    // AWS documents the id as at most 32 characters; ids seen in the wild start with Z, but that is not promised.
    /^[A-Z0-9]{1,32}$/,
    "a Route 53 hosted zone id: uppercase letters and digits, at most 32 characters, without /hostedzone/, such as Z0A1B2C3D4E5F6",
  ),
  recordName: {
    test: isRecordName,
    describe:
      "a DNS record name: at least two dot-separated labels of letters, digits, '-' or '_' (at most 63 characters each, 253 in all), such as db.example.com",
  },
  principal: pattern(
    new RegExp(`^arn:aws(?:-[a-z]+)*:iam::\\d{12}:(?:role|user)/(?:${IAM_NAME_CHARS}+/)*${IAM_NAME_CHARS}{1,64}$`),
    "an IAM role or user ARN such as arn:aws:iam::123456789012:role/baton-node-office-1",
  ),
  rolePrincipal: pattern(
    new RegExp(`^arn:aws(?:-[a-z]+)*:iam::\\d{12}:role/(?:${IAM_NAME_CHARS}+/)*${IAM_NAME_CHARS}{1,64}$`),
    "the ARN of the IAM role of the instance's instance profile (heartbeats are accepted only from that role's session of this instance), such as arn:aws:iam::123456789012:role/baton-node",
  ),
  principalId: pattern(
    /^(?:AROA|AIDA)[A-Z0-9]{12,124}$/,
    "an IAM unique id: AROA (a role) or AIDA (a user) followed by uppercase letters and digits, such as AROA3XFRBF23EXAMPLE1 (aws iam get-role --role-name NAME --query Role.RoleId)",
  ),
  ipv4: pattern(
    new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`),
    "an IPv4 address in dotted decimal, such as 203.0.113.10",
  ),
  device: pattern(
    /^\/dev\/(?:sd|xvd)[b-z]$/,
    "a Linux EBS device name /dev/sd[b-z] or /dev/xvd[b-z] (AWS recommends f to p), such as /dev/xvdf",
  ),
  systemdUnit: pattern(
    /^[A-Za-z0-9:_.@-]{1,240}\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/,
    "a systemd unit name: letters, digits, ':', '_', '.', '@' or '-' followed by a unit suffix such as .service, .mount or .target, such as postgresql.service",
  ),
  mountPath: { test: isMountPath, describe: "an absolute directory path other than /, such as /var/lib/postgresql" },
  program: { test: isProgramPath, describe: "an absolute program path such as /opt/reports/start.sh" },
  mountOption: pattern(
    /^[A-Za-z0-9][A-Za-z0-9_.:=+/@-]{0,127}$/,
    "a mount option: a letter or digit, then letters, digits or _ . : = + / @ - (no comma, space or quote), at most 128 characters, such as noatime or commit=60",
  ),
  email: pattern(
    /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/,
    "an email address such as ops@example.com",
  ),
} as const satisfies Record<string, Format>;

/** `name` lowercased, without a trailing dot: the form the record is stored and compared in. */
export function normalizeRecordName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function isRecordName(name: string): boolean {
  const normal = normalizeRecordName(name);
  if (normal.length === 0 || normal.length > 253) return false;
  const labels = normal.split(".");
  return labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}

function isMountPath(path: string): boolean {
  if (!/^(?:\/[A-Za-z0-9._@+-]+)+$/.test(path) || path.length > 4096) return false;
  return path
    .split("/")
    .slice(1)
    .every((segment) => segment !== "." && segment !== "..");
}

function isProgramPath(path: string): boolean {
  return isMountPath(path);
}

/** Whether `zone` is an IANA time zone name that this runtime knows; the canonical name if so. */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
