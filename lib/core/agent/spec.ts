/**
 * What an agent learns about each agent-side resource of a group it may own: the wire shape of
 * `groups[].agentResources` in the heartbeat answer (docs/protocol.md). The heartbeat function
 * builds it from the deployed cluster definition only, never from the table, so a table write
 * cannot make an agent run anything the definition does not hold.
 */
import type { ResourceId } from "../definition/types.js";

interface AgentResourceSpecBase {
  readonly id: ResourceId;
  /**
   * Agent-side resources of the same group that must be online before this one starts. Controller-side
   * dependencies (a volume, an address, a record) are left out: the controller brings them online
   * before it asks for the resources that depend on them.
   */
  readonly dependsOn: readonly ResourceId[];
  /** Longest a start or a requested stop may take before it counts as failed. */
  readonly pendingTimeoutMs: number;
  /** Longest a stop may take when the node stops the resource on its own (self-fencing). */
  readonly stopTimeoutMs: number;
  /** Local restarts allowed within `periodMs` before the resource is reported failed. */
  readonly restart: { readonly threshold: number; readonly periodMs: number };
}

export interface MountSpec extends AgentResourceSpecBase {
  readonly type: "mount";
  readonly path: string;
  /** The EBS volume to mount: on Nitro instances `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…`. */
  readonly volumeId: string;
  /** The device name the controller attaches the volume at (Xen instances show it under this name). */
  readonly device: string;
  /**
   * The definition's mount options, present only when it names some: the agent mounts with
   * `nosuid,nodev` followed by these, so `suid` or `dev` here undoes the default.
   */
  readonly options?: readonly string[];
}

export interface SystemdSpec extends AgentResourceSpecBase {
  readonly type: "systemd";
  readonly unit: string;
}

export interface CommandSpec extends AgentResourceSpecBase {
  readonly type: "command";
  /** Program and arguments, run without a shell; exit code 0 is success (for `check`: healthy). */
  readonly start: readonly string[];
  readonly stop: readonly string[];
  readonly check: readonly string[];
}

export type AgentResourceSpec = MountSpec | SystemdSpec | CommandSpec;
