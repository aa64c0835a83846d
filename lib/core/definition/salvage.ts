/**
 * The parts of a definition that are valid on their own, even when others are not, so
 * that the cross-field rules can still run: a type error in one resource must not hide a
 * dependency cycle next to it. Every field of a node, group or resource is read on its
 * own; a field that is missing or invalid is left out (its problem comes from the schema).
 */
import type * as z from "zod";
import { DEFAULTS } from "./limits.js";
import {
  type AlarmReference,
  ClusterSchema,
  GroupSchema,
  NODE_SCHEMAS,
  RESOURCE_SCHEMAS,
  TimingSchema,
} from "./schema.js";
import type { ResourceType } from "./types.js";

export interface SalvagedNode {
  readonly index: number;
  readonly id?: string;
  readonly kind?: keyof typeof NODE_SCHEMAS;
  readonly instanceId?: string;
  readonly availabilityZone?: string;
  readonly principal?: string;
  readonly principalId?: string;
}

export interface SalvagedResource {
  readonly index: number;
  readonly id?: string;
  readonly type?: ResourceType;
  readonly dependsOn?: readonly string[];
  readonly volumeId?: string;
  readonly device?: string;
  readonly allocationId?: string;
  readonly hostedZoneId?: string;
  readonly name?: string;
  readonly volume?: string;
  readonly pendingTimeout?: number;
  readonly stopTimeout?: number;
  /** Every key written in the resource's mapping, valid or not: a rule can tell a default from a bad value. */
  readonly writtenKeys: ReadonlySet<string>;
}

export interface SalvagedGroup {
  readonly index: number;
  readonly id?: string;
  readonly preferredOwners?: readonly string[];
  /** Only when the user wrote it; rules tell a written value from a default. */
  readonly fencing?: "stop-instance" | "none";
  /** Each entry of `failoverOn` that is valid on its own, by its position (a wrong one is undefined). */
  readonly failoverOn?: readonly (AlarmReference | undefined)[];
  readonly resources: readonly SalvagedResource[];
  /** Every resource id written in the group, valid or not. */
  readonly writtenResourceIds: ReadonlySet<string>;
}

export interface Salvage {
  readonly region?: string;
  /** Timing in ms, defaults filled in; a field the user wrote wrongly is left out. */
  readonly timing: {
    readonly heartbeatIntervalMs?: number;
    readonly leaseDurationMs?: number;
    readonly controllerTickMs?: number;
  };
  readonly nodes: readonly SalvagedNode[];
  /** Every node id written, valid or not: references to them are not reported as unknown. */
  readonly writtenNodeIds: ReadonlySet<string>;
  readonly groups: readonly SalvagedGroup[];
  /** The index of the group of every resource id written anywhere (the first, if several). */
  readonly resourceGroups: ReadonlyMap<string, number>;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function own(value: Record<string, unknown> | undefined, key: string): unknown {
  return value !== undefined && Object.hasOwn(value, key) ? value[key] : undefined;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function read<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** Each field of `raw` that `shape` accepts on its own. */
function readFields(
  shape: Record<string, z.ZodType>,
  raw: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const value = read(schema, own(raw, key));
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** The fields of a node or resource, read with the schema its `key` picks. */
function readTagged<T extends object>(
  raw: unknown,
  key: string,
  schemas: Record<string, z.ZodObject>,
  index: number,
): T {
  const object = record(raw);
  const tag = own(object, key);
  const schema = typeof tag === "string" && Object.hasOwn(schemas, tag) ? schemas[tag] : undefined;
  const id = read(GroupSchema.shape.id, own(object, "id"));
  return { id, ...(schema === undefined ? {} : readFields(schema.shape, object)), index } as T;
}

function timingField(schema: z.ZodType<number | undefined>, value: unknown, key: keyof typeof DEFAULTS.timing) {
  return value === undefined ? DEFAULTS.timing[key] : read(schema, value);
}

function writtenId(value: unknown): string | undefined {
  const id = own(record(value), "id");
  return typeof id === "string" ? id : undefined;
}

export function salvage(input: unknown): Salvage {
  const top = record(input);
  const timing = record(own(top, "timing"));
  const timingShape = TimingSchema.shape;
  const rawNodes = list(own(top, "nodes"));
  const resourceGroups = new Map<string, number>();

  const groups = list(own(top, "groups")).map((rawGroup, index): SalvagedGroup => {
    const group = record(rawGroup);
    const rawResources = list(own(group, "resources"));
    const writtenResourceIds = new Set<string>();
    for (const resource of rawResources) {
      const id = writtenId(resource);
      if (id === undefined) continue;
      writtenResourceIds.add(id);
      if (!resourceGroups.has(id)) resourceGroups.set(id, index);
    }
    return {
      index,
      id: read(GroupSchema.shape.id, own(group, "id")),
      preferredOwners: read(GroupSchema.shape.preferredOwners, own(group, "preferredOwners")),
      fencing: read(GroupSchema.shape.fencing, own(group, "fencing")),
      failoverOn: list(own(group, "failoverOn")).map((entry) => read(GroupSchema.shape.failoverOn, [entry])?.[0]),
      resources: rawResources.map((raw, i) => ({
        ...readTagged<Omit<SalvagedResource, "writtenKeys">>(raw, "type", RESOURCE_SCHEMAS, i),
        writtenKeys: new Set(Object.keys(record(raw) ?? {})),
      })),
      writtenResourceIds,
    };
  });

  return {
    region: read(ClusterSchema.shape.region, own(top, "region")),
    timing: {
      heartbeatIntervalMs: timingField(
        timingShape.heartbeatInterval,
        own(timing, "heartbeatInterval"),
        "heartbeatIntervalMs",
      ),
      leaseDurationMs: timingField(timingShape.leaseDuration, own(timing, "leaseDuration"), "leaseDurationMs"),
      controllerTickMs: timingField(timingShape.controllerTick, own(timing, "controllerTick"), "controllerTickMs"),
    },
    nodes: rawNodes.map((raw, i) => readTagged<SalvagedNode>(raw, "kind", NODE_SCHEMAS, i)),
    writtenNodeIds: new Set(rawNodes.map(writtenId).filter((id) => id !== undefined)),
    groups,
    resourceGroups,
  };
}
