import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import { advance, type PlanContext } from "../../../lib/core/controller/advance.js";
import type { VolumeView } from "../../../lib/core/controller/adapters.js";
import { emptyGroupRecord, type GroupRecord, type Plan, type PlanStep } from "../../../lib/core/controller/records.js";
import { decideStep } from "../../../lib/core/controller/steps.js";
import { exampleDefinition } from "../../support/example-cluster.js";

/**
 * A stop that lies on a source that confirmed it: db-a reported `pg-mount` offline under the move's epoch, so the
 * plan did not fence it, but another mount namespace still holds the filesystem and EC2 keeps the detach `busy`.
 * The move must not wait on it forever: once the detach has stayed busy past the force bound (60 s, written out
 * here from docs/safety.md §3), a group that can fence (postgres: fencing stop-instance) fences the source first,
 * and only then may the detach be forced (a forced detach only ever of a fenced source).
 */
const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const A = "i-0a1b2c3d4e5f60001";
const VOL = "vol-0a1b2c3d4e5f60001";
const FORCE_AFTER_MS = 60_000;

const detach: PlanStep = { kind: "detach-volume", resourceId: "data", volumeId: VOL, instanceId: A, nodeId: "db-a" };
const attach: PlanStep = {
  kind: "attach-volume",
  resourceId: "data",
  volumeId: VOL,
  instanceId: "i-0a1b2c3d4e5f60002",
  device: "/dev/xvdf",
};
const busy: VolumeView = {
  volumeId: VOL,
  state: "in-use",
  availabilityZone: "us-east-1a",
  attachments: [{ instanceId: A, device: "/dev/xvdf", state: "busy" }],
};

function plan(over: Partial<Plan> = {}): Plan {
  return {
    kind: "failback",
    reason: "db-a is preferred",
    source: "db-a",
    sourceAlive: true,
    target: "db-b",
    epoch: 3,
    // The source confirmed: its await-offline steps are done, and the conditional fence was skipped.
    steps: [
      { kind: "await-offline", resourceId: "pg-mount", nodeId: "db-a" },
      { kind: "fence", instanceId: A, onlyIfUnconfirmed: true, nodeId: "db-a" },
      detach,
      attach,
    ],
    stepIndex: 2,
    stepStartedAt: T0,
    attempts: 1,
    sourceUnconfirmed: false,
    fenced: false,
    unconfirmedNodes: [],
    fencedInstances: [],
    startedAt: T0 - 20_000,
    ...over,
  };
}

function record(over: Partial<Plan> = {}): GroupRecord {
  return {
    ...emptyGroupRecord("postgres", T0),
    version: 7,
    owner: "db-b",
    epoch: 3,
    status: "moving",
    since: T0 - 20_000,
    desired: { "pg-mount": "offline", postgres: "offline" },
    plan: plan(over),
  };
}

const context: PlanContext = {
  definition,
  group: postgres,
  health: new Map(definition.nodes.map((n) => [n.id, nodeHealth(n.id, { up: true, lastHeardAt: T0 })])),
  frozen: false,
  actedOn: null,
};

describe("a busy detach from a source that confirmed its stop", () => {
  it("waits up to the force bound, then fences the source instead of waiting for ever", () => {
    expect(decideStep(detach, plan(), postgres, { volume: busy }, T0 + FORCE_AFTER_MS)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is busy`,
    });
    const late = decideStep(detach, plan(), postgres, { volume: busy }, T0 + FORCE_AFTER_MS + 1_000);
    expect(late.kind).toBe("fence-first");
  });

  it("does not fence a source whose detach is stuck 'detaching' (EC2's trouble, not the node's)", () => {
    const detaching: VolumeView = {
      ...busy,
      attachments: [{ instanceId: A, device: "/dev/xvdf", state: "detaching" }],
    };
    expect(decideStep(detach, plan(), postgres, { volume: detaching }, T0 + 9 * 60_000)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is detaching`,
    });
  });

  it("never forces the detach of the unfenced source, and does not fence where the group cannot", () => {
    const none = { ...postgres, fencing: "none" as const };
    expect(decideStep(detach, plan(), none, { volume: busy }, T0 + 9 * 60_000)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is busy`,
    });
  });

  it("writes a fence step of the source before the detach, entered now; the detach comes after it", () => {
    const now = T0 + FORCE_AFTER_MS + 1_000;
    const out = advance(record(), { kind: "seen", seen: { volume: busy } }, now, context);
    expect(out.command).toBeUndefined();
    expect(out.record?.version).toBe(8);
    expect(out.record?.plan).toMatchObject({
      stepIndex: 2,
      stepStartedAt: now,
      attempts: 0,
      fenced: false,
      steps: [
        { kind: "await-offline", resourceId: "pg-mount", nodeId: "db-a" },
        { kind: "fence", instanceId: A, onlyIfUnconfirmed: true, nodeId: "db-a" },
        { kind: "fence", instanceId: A, onlyIfUnconfirmed: false, nodeId: "db-a" },
        detach,
        attach,
      ],
    });
    expect(out.events).toHaveLength(1);
    expect(out.again).toBe(true);
  });

  it("forces the detach once the fence saw the source stopped and it stayed busy past the bound again", () => {
    const fenced = plan({
      steps: [
        ...plan().steps.slice(0, 2),
        { kind: "fence", instanceId: A, onlyIfUnconfirmed: false, nodeId: "db-a" },
        detach,
        attach,
      ],
      stepIndex: 3,
      attempts: 1,
      fenced: true,
      fencedInstances: [A],
    });
    expect(decideStep(detach, fenced, postgres, { volume: busy }, T0 + FORCE_AFTER_MS + 1_000)).toEqual({
      kind: "act",
      command: { kind: "detach-volume", volumeId: VOL, instanceId: A, force: true },
      reason: `detach stuck 61s on fenced ${A}: forcing`,
    });
  });
});
