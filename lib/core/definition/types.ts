/**
 * The cluster definition after loading: validated, defaults applied, durations in
 * milliseconds. This is the shape every other part of Baton reads; the YAML that
 * users write is described by the schema in `schema.ts` and documented in
 * `docs/definition.md`.
 */

export type NodeId = string;
export type GroupId = string;
export type ResourceId = string;

export interface Timing {
  /** How often an agent sends a heartbeat. */
  readonly heartbeatIntervalMs: number;
  /** How long one acknowledged heartbeat keeps a node's lease alive. */
  readonly leaseDurationMs: number;
  /** How often the controller makes a pass within one invocation. */
  readonly controllerTickMs: number;
}

export interface Ec2Node {
  readonly id: NodeId;
  readonly kind: "ec2";
  readonly instanceId: string;
  readonly availabilityZone: string;
  /**
   * ARN of the IAM role of the instance profile, `arn:aws:iam::ACCOUNT:role/[PATH/]NAME`: heartbeats are
   * accepted only from that role's session named after `instanceId` (lib/core/heartbeat/identity.ts).
   */
  readonly principal: string;
  /** The role's unique id (`AROA…`), when the definition pins it: a recreated role of the same name is refused. */
  readonly principalId?: string;
}

export interface OnpremNode {
  readonly id: NodeId;
  readonly kind: "onprem";
  /** IAM role or user ARN whose credentials the node's agent signs with. */
  readonly principal: string;
  /** The role's (`AROA…`) or user's (`AIDA…`) unique id, when the definition pins it. */
  readonly principalId?: string;
  /** IPv4 address that dns-record resources point at when this node owns the group. */
  readonly address: string;
}

export type NodeDefinition = Ec2Node | OnpremNode;

export interface RestartPolicy {
  /** Local restarts allowed within `periodMs` before the resource is reported failed. */
  readonly threshold: number;
  readonly periodMs: number;
}

interface ResourceBase {
  readonly id: ResourceId;
  /** Resources of the same group that must be online before this one starts. */
  readonly dependsOn: readonly ResourceId[];
  readonly restart: RestartPolicy;
  /** Longest a start or stop may take before it counts as failed. */
  readonly pendingTimeoutMs: number;
}

export interface EbsVolumeResource extends ResourceBase {
  readonly type: "ebs-volume";
  readonly volumeId: string;
  readonly device: string;
}

export interface ElasticIpResource extends ResourceBase {
  readonly type: "elastic-ip";
  readonly allocationId: string;
}

export interface DnsRecordResource extends ResourceBase {
  readonly type: "dns-record";
  readonly hostedZoneId: string;
  /** Fully qualified record name, without the trailing dot. */
  readonly name: string;
  readonly ttl: number;
  /** Which address of an EC2 owner the record points at; on-premise owners use their `address`. */
  readonly target: "private-ip" | "public-ip";
}

/** The resources the owner's agent runs; the node stops them on its own when it loses the cluster. */
interface AgentResourceBase extends ResourceBase {
  /**
   * Longest the agent may take to stop the resource when it stops it on its own (self-fencing);
   * a group's sum must fit the timing (`maxStopBudgetMs` in `lib/core/self-fencing.ts`).
   */
  readonly stopTimeoutMs: number;
}

export interface MountResource extends AgentResourceBase {
  readonly type: "mount";
  /** Id of an ebs-volume resource of the same group. */
  readonly volume: ResourceId;
  readonly path: string;
  /** Mount options as written, when the definition names some; the agent puts `nosuid,nodev` before them. */
  readonly options?: readonly string[];
}

export interface SystemdResource extends AgentResourceBase {
  readonly type: "systemd";
  readonly unit: string;
}

export interface CommandResource extends AgentResourceBase {
  readonly type: "command";
  /** Program and arguments, run without a shell. */
  readonly start: readonly string[];
  readonly stop: readonly string[];
  readonly check: readonly string[];
}

export type ResourceDefinition =
  EbsVolumeResource | ElasticIpResource | DnsRecordResource | MountResource | SystemdResource | CommandResource;

export type ResourceType = ResourceDefinition["type"];

/** The resources the owner's agent acts on locally. */
export type AgentResource = MountResource | SystemdResource | CommandResource;

/** Resource types that the controller acts on through AWS APIs. */
export const CONTROLLER_RESOURCE_TYPES = ["ebs-volume", "elastic-ip", "dns-record"] as const;
/** Resource types that the owner's agent acts on locally. */
export const AGENT_RESOURCE_TYPES = ["mount", "systemd", "command"] as const;

const AGENT_TYPES: ReadonlySet<string> = new Set(AGENT_RESOURCE_TYPES);

/** Whether a resource of this type is run by the owner's agent (mount, systemd, command), rather than the controller. */
export function isAgentResourceType(type: string | undefined): boolean {
  return type !== undefined && AGENT_TYPES.has(type);
}

/** Whether the owner's agent runs `resource`, rather than the controller. */
export function isAgentResource(resource: ResourceDefinition): resource is AgentResource {
  return isAgentResourceType(resource.type);
}

export interface FailoverPolicy {
  /** Failovers allowed within `periodMs`; one more leaves the group failed. */
  readonly threshold: number;
  readonly periodMs: number;
}

export type FailbackPolicy =
  | { readonly mode: "never" }
  | { readonly mode: "immediate" }
  | {
      readonly mode: "window";
      /** Minutes after midnight, in `timeZone`, at which the window opens. */
      readonly startMinute: number;
      /** Minutes after midnight at which it closes; smaller than start means it spans midnight. */
      readonly endMinute: number;
      /** IANA time zone name. */
      readonly timeZone: string;
    };

export interface GroupDefinition {
  readonly id: GroupId;
  /** Nodes that may own the group, most preferred first. */
  readonly preferredOwners: readonly NodeId[];
  readonly failover: FailoverPolicy;
  readonly failback: FailbackPolicy;
  readonly fencing: "stop-instance" | "none";
  /**
   * CloudWatch alarms that fail the group over when they enter ALARM (docs/alarms.md, alarm-driven failover), by
   * name. `node`: the alarm is about that node (it moves the group only while that node owns it); null: about
   * whichever node owns the group, unless the alarm's own `InstanceId` dimension names a node.
   */
  readonly failoverOn: readonly { readonly alarm: string; readonly node: NodeId | null }[];
  /** In the order written; `dependsOn` gives the start order. */
  readonly resources: readonly ResourceDefinition[];
}

/** The heartbeat endpoint's kind (`ENDPOINT_KINDS`). */
export type EndpointKind = "function-url" | "http-api";

export interface ClusterDefinition {
  readonly cluster: string;
  readonly region: string;
  readonly timing: Timing;
  readonly notifications: { readonly email: readonly string[] };
  /**
   * How nodes reach the heartbeat function: a Lambda function URL (`function-url`, the default where Lambda offers
   * them) or an API Gateway HTTP API (`http-api`: custom domains, stage throttling, access logs).
   */
  readonly endpoint: EndpointKind;
  readonly nodes: readonly NodeDefinition[];
  readonly groups: readonly GroupDefinition[];
}

/** One thing wrong with a definition: where, and what to do about it. */
export interface DefinitionProblem {
  /** Path into the document, such as `groups[0].resources[1].volume`. */
  readonly path: string;
  /** What is wrong and what to do, in one or two sentences. */
  readonly message: string;
  /** 1-based line in the source text, when the problem could be located. */
  readonly line?: number;
}

export type DefinitionResult =
  | { readonly ok: true; readonly definition: ClusterDefinition }
  | { readonly ok: false; readonly problems: readonly DefinitionProblem[] };
