/**
 * The parts of a definition that are valid on their own, even when others are not, so
 * that the cross-field rules can still run: a type error in one group must not hide a
 * dependency cycle in another. Nodes and resources are kept whole or not at all; group
 * and top-level fields are kept one by one.
 */
import type * as z from "zod";
import { DEFAULTS } from "./limits.js";
import { ClusterSchema, GroupSchema, NodeSchema, ResourceSchema, TimingSchema } from "./schema.js";
import type { NodeInput, ResourceInput } from "./schema.js";

export interface Indexed<T> {
  readonly index: number;
  readonly value: T;
}

export interface SalvagedGroup {
  readonly index: number;
  readonly id?: string;
  readonly preferredOwners?: readonly string[];
  /** Only when the user wrote it; rules tell a written value from a default. */
  readonly fencing?: "stop-instance" | "none";
  readonly resources: readonly Indexed<ResourceInput>[];
  /** Every resource id written in the group, valid resource or not. */
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
  readonly nodes: readonly Indexed<NodeInput>[];
  /** Every node id written, valid node or not: references to them are not reported as unknown. */
  readonly writtenNodeIds: ReadonlySet<string>;
  readonly groups: readonly SalvagedGroup[];
  /** Every resource id written anywhere, by group index. */
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

function timingField(
  schema: z.ZodType<number | undefined>,
  value: unknown,
  key: keyof typeof DEFAULTS.timing,
): number | undefined {
  return value === undefined ? DEFAULTS.timing[key] : read(schema, value);
}

function writtenId(value: unknown): string | undefined {
  const id = own(record(value), "id");
  return typeof id === "string" ? id : undefined;
}

function indexed<T>(values: readonly unknown[], schema: z.ZodType<T>): Indexed<T>[] {
  const kept: Indexed<T>[] = [];
  values.forEach((value, index) => {
    const parsed = read(schema, value);
    if (parsed !== undefined) kept.push({ index, value: parsed });
  });
  return kept;
}

export function salvage(input: unknown): Salvage {
  const top = record(input);
  const timing = record(own(top, "timing"));
  const timingShape = TimingSchema.shape;
  const rawNodes = list(own(top, "nodes"));
  const rawGroups = list(own(top, "groups"));
  const resourceGroups = new Map<string, number>();

  const groups = rawGroups.map((rawGroup, index): SalvagedGroup => {
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
      resources: indexed(rawResources, ResourceSchema),
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
    nodes: indexed(rawNodes, NodeSchema),
    writtenNodeIds: new Set(rawNodes.map(writtenId).filter((id) => id !== undefined)),
    groups,
    resourceGroups,
  };
}
