/**
 * A run of agent resources (consecutive await-online steps, nothing controller-side between them) is asked for at
 * once: entering its first step sets every resource of the run desired online, so the target's agent starts the
 * whole chain in dependency order on one answer, and a report received after that moment counts for each step of
 * the run. A resource after a controller-side step (an address, a record) is asked for only once that step is done.
 */
import { describe, expect, it } from "vitest";
import { advance, type PlanContext } from "../../../lib/core/controller/advance.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import type { GroupRecord, Plan, PlanStep } from "../../../lib/core/controller/records.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { movingPostgres } from "../../support/moving-postgres.js";
import { nodeHealth } from "../../support/node-health.js";

const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const B = "i-0a1b2c3d4e5f60002";

const health = new Map<string, NodeHealth>(
  definition.nodes.map((n) => [n.id, nodeHealth(n.id, { up: true, lastHeardAt: T0, upSince: T0 - 3_600_000 })]),
);
const context: PlanContext = { definition, group: postgres, health, frozen: false, actedOn: null };

const attach: PlanStep = {
  kind: "attach-volume",
  resourceId: "pg-volume",
  volumeId: "vol-0a1b2c3d4e5f60001",
  instanceId: B,
  device: "/dev/xvdf",
};
const mount: PlanStep = { kind: "await-online", resourceId: "pg-mount", nodeId: "db-b" };
const service: PlanStep = { kind: "await-online", resourceId: "postgres", nodeId: "db-b" };
const address: PlanStep = {
  kind: "associate-address",
  resourceId: "pg-ip",
  allocationId: "eipalloc-0a1b2c3d4e5f60001",
  instanceId: B,
};

/** Postgres moving off a silent, fenced db-a. */
function moving(steps: PlanStep[], over: Partial<Plan> = {}, record: Partial<GroupRecord> = {}): GroupRecord {
  const fencedSource: Partial<Plan> = {
    sourceAlive: false,
    fenced: true,
    unconfirmedNodes: ["db-a"],
    fencedInstances: ["i-0a1b2c3d4e5f60001"],
    startedAt: T0 - 13_000,
  };
  return movingPostgres(T0, steps, { ...fencedSource, ...over }, record);
}

const attached = {
  kind: "seen" as const,
  seen: {
    volume: {
      volumeId: "vol-0a1b2c3d4e5f60001",
      state: "in-use",
      availabilityZone: "us-east-1a",
      attachments: [{ instanceId: B, device: "/dev/xvdf", state: "attached" as const }],
    },
    instance: {
      instanceId: B,
      state: "running" as const,
      availabilityZone: "us-east-1a",
      privateIp: "10.0.1.12",
      publicIp: null,
    },
  },
};

function report(receivedAt: number, resources: Record<string, "online" | "starting" | "offline">) {
  return {
    kind: "seen" as const,
    seen: {
      liveness: {
        nodeId: "db-b",
        bootId: "b",
        seq: 9,
        receivedAt,
        bootStartedAt: T0 - 3_600_000,
        resources,
        leaving: false,
        epochs: { postgres: 2 },
      },
      nodeUp: true,
    },
  };
}

describe("a run of agent resources is asked for at once", () => {
  it("sets every resource of the run desired online on entering its first step (pg-mount and postgres)", () => {
    // Act: the attach is seen done at T0 + 2 s; the plan enters the mount's step.
    const out = advance(moving([attach, mount, service, address]), attached, T0 + 2_000, context);
    // Assess
    expect(out.record?.plan).toMatchObject({ stepIndex: 1, stepStartedAt: T0 + 2_000, onlineAskedAt: T0 + 2_000 });
    expect(out.record?.desired).toEqual({ "pg-mount": "online", postgres: "online" });
  });

  it("asks only up to the next controller-side step: a resource after the address waits for it", () => {
    // Act: steps mount, address, postgres (as if postgres depended on the address).
    const out = advance(moving([attach, mount, address, service]), attached, T0 + 2_000, context);
    // Assess
    expect(out.record?.desired).toEqual({ "pg-mount": "online", postgres: "offline" });
  });

  it("completes the run's later step on a report received after the run was asked, before that step began", () => {
    // Prepare: the run was asked at T0 + 2 s; the mount's step completed at T0 + 4 s, entering postgres's step.
    const record = moving([attach, mount, service, address], {
      stepIndex: 2,
      stepStartedAt: T0 + 4_000,
      onlineAskedAt: T0 + 2_000,
    });
    // Act: the report that completed the mount's step (received at T0 + 4 s, not after the step began) says
    // postgres is online too; one received at T0 + 2 s, when the run was asked, counts for nothing.
    const fresh = advance(
      record,
      report(T0 + 4_000, { "pg-mount": "online", postgres: "online" }),
      T0 + 4_000,
      context,
    );
    const stale = advance(
      record,
      report(T0 + 2_000, { "pg-mount": "online", postgres: "online" }),
      T0 + 4_000,
      context,
    );
    // Assess
    expect(fresh.record?.plan).toMatchObject({ stepIndex: 3 });
    expect(stale.record).toBeNull();
  });

  it("keeps the moment the run was asked across its steps, and asks again after a controller-side step", () => {
    // Act: the mount's step completes at T0 + 4 s (postgres's step follows, same run); later, after the address,
    // a run that begins anew is asked at the time it is entered.
    const next = advance(
      moving([attach, mount, service], { stepIndex: 1, stepStartedAt: T0 + 2_000, onlineAskedAt: T0 + 2_000 }),
      report(T0 + 4_000, { "pg-mount": "online", postgres: "starting" }),
      T0 + 4_000,
      context,
    );
    const after = advance(
      moving([attach, mount, address, service], { stepIndex: 2, onlineAskedAt: T0 + 2_000 }),
      {
        kind: "seen",
        seen: { address: { allocationId: "eipalloc-0a1b2c3d4e5f60001", publicIp: "1.2.3.4", instanceId: B } },
      },
      T0 + 6_000,
      context,
    );
    // Assess
    expect(next.record?.plan).toMatchObject({ stepIndex: 2, stepStartedAt: T0 + 4_000, onlineAskedAt: T0 + 2_000 });
    expect(after.record?.plan).toMatchObject({ stepIndex: 3, onlineAskedAt: T0 + 6_000 });
    expect(after.record?.desired).toMatchObject({ postgres: "online" });
  });
});
