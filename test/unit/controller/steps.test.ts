import { describe, expect, it } from "vitest";
import type { InstanceView, VolumeView } from "../../../lib/core/controller/adapters.js";
import type { NodeReport, Plan, PlanStep } from "../../../lib/core/controller/records.js";
import { decideStep, type StepObservation } from "../../../lib/core/controller/steps.js";
import { exampleDefinition } from "../../support/example-cluster.js";

/**
 * decideStep, one case per step kind and branch. Bounds are the documented ones, written out:
 * fence 10 min, force-stop re-sent every 60 s at most 4 requests, force-detach after 60 s, detach 10 min,
 * attach 3 min, associate 2 min, DNS INSYNC 3 min; postgres's pendingTimeout 3 min (examples/cluster.yaml).
 */
const definition = exampleDefinition();
const postgres = definition.groups.find((g) => g.id === "postgres")!;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const A = "i-0a1b2c3d4e5f60001";
const B = "i-0a1b2c3d4e5f60002";
const VOL = "vol-0a1b2c3d4e5f60001";

function plan(over: Partial<Plan> = {}): Plan {
  return {
    kind: "failover",
    reason: "test",
    source: "db-a",
    sourceAlive: false,
    target: "db-b",
    epoch: 2,
    steps: [],
    stepIndex: 0,
    stepStartedAt: T0,
    attempts: 0,
    sourceUnconfirmed: false,
    fenced: false,
    unconfirmedNodes: [],
    fencedInstances: [],
    startedAt: T0,
    ...over,
  };
}

const instance = (id: string, state: InstanceView["state"], zone = "us-east-1a"): InstanceView => ({
  instanceId: id,
  state,
  availabilityZone: zone,
  privateIp: id === A ? "10.0.1.11" : "10.0.1.12",
  publicIp: null,
});

const volume = (attachments: VolumeView["attachments"], zone = "us-east-1a"): VolumeView => ({
  volumeId: VOL,
  state: attachments.length > 0 ? "in-use" : "available",
  availabilityZone: zone,
  attachments,
});

const report = (over: Partial<NodeReport> = {}): NodeReport => ({
  nodeId: "db-a",
  bootId: "boot-1",
  seq: 7,
  receivedAt: T0 + 1_000,
  bootStartedAt: T0 - 3_600_000,
  resources: {},
  leaving: false,
  epochs: { postgres: 2 },
  ...over,
});

const decide = (step: PlanStep, seen: StepObservation, at: number, over: Partial<Plan> = {}) =>
  decideStep(step, plan({ steps: [step], ...over }), postgres, seen, at);

describe("decideStep: check-volume-zone", () => {
  const step: PlanStep = { kind: "check-volume-zone", resourceId: "data", volumeId: VOL, instanceId: B };

  it("passes when volume and target share a zone", () => {
    expect(decide(step, { volume: volume([]), instance: instance(B, "running") }, T0)).toEqual({
      kind: "done",
      note: "volume and target both in us-east-1a",
    });
  });

  it("fails, with nothing moved, on a zone mismatch", () => {
    expect(decide(step, { volume: volume([], "us-east-1b"), instance: instance(B, "running") }, T0)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} is in us-east-1b but target ${B} is in us-east-1a: EBS volumes cannot cross zones; nothing was moved`,
    });
  });

  it("fails when the volume or the target does not exist", () => {
    expect(decide(step, { instance: instance(B, "running") }, T0)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} does not exist`,
    });
    expect(decide(step, { volume: volume([]) }, T0)).toEqual({
      kind: "fail",
      reason: `target instance ${B} does not exist`,
    });
  });
});

describe("decideStep: await-offline", () => {
  const step: PlanStep = { kind: "await-offline", resourceId: "postgres", nodeId: "db-a" };

  it("completes on a report received after the step started that says offline", () => {
    const seen = { liveness: report({ resources: { postgres: "offline" } }), nodeUp: true };
    expect(decide(step, seen, T0 + 2_000)).toMatchObject({ kind: "done" });
    expect(decide(step, seen, T0 + 2_000)).not.toHaveProperty("patch");
  });

  it("marks the source unconfirmed when it fell silent before confirming", () => {
    const seen = { liveness: report({ resources: { postgres: "online" } }), nodeUp: false, leaseOver: true };
    expect(decide(step, seen, T0 + 2_000)).toEqual({
      kind: "done",
      note: "source db-a fell silent before confirming postgres offline",
      patch: { sourceUnconfirmed: true },
    });
  });

  it("waits while the source runs it, then (stop-instance) marks it unconfirmed after pendingTimeout (3 min)", () => {
    const seen = { liveness: report({ resources: { postgres: "stopping" } }), nodeUp: true };
    expect(decide(step, seen, T0 + 180_000)).toEqual({ kind: "wait", reason: "waiting for db-a to stop postgres" });
    expect(decide(step, seen, T0 + 180_001)).toEqual({
      kind: "done",
      note: "db-a did not confirm postgres offline in time: it will be fenced",
      patch: { sourceUnconfirmed: true },
    });
  });
});

describe("decideStep: fence", () => {
  const step: PlanStep = { kind: "fence", instanceId: A, onlyIfUnconfirmed: false, nodeId: "db-a" };

  it("skips a conditional fence when its own source confirmed, but not when only another source did not", () => {
    const conditional: PlanStep = { kind: "fence", instanceId: A, onlyIfUnconfirmed: true, nodeId: "db-a" };
    const seen = { instance: instance(A, "running") };
    expect(decide(conditional, seen, T0)).toEqual({ kind: "done", note: "source confirmed its resources offline" });
    expect(decide(conditional, seen, T0, { unconfirmedNodes: ["office-1"], sourceUnconfirmed: true })).toEqual({
      kind: "done",
      note: "source confirmed its resources offline",
    });
    expect(decide(conditional, seen, T0, { unconfirmedNodes: ["db-a"], sourceUnconfirmed: true })).toMatchObject({
      kind: "act",
      command: { kind: "stop-instance", instanceId: A },
    });
  });

  it("reads a plan written before plans had several sources: sourceUnconfirmed is about its source", () => {
    const legacy: PlanStep = { kind: "fence", instanceId: A, onlyIfUnconfirmed: true };
    const { unconfirmedNodes: _u, fencedInstances: _f, ...old } = plan({ sourceUnconfirmed: true });
    expect(decideStep(legacy, { ...old, steps: [legacy] }, postgres, { instance: instance(A, "running") }, T0)).toEqual(
      { kind: "act", command: { kind: "stop-instance", instanceId: A }, reason: `stopping ${A} (force)` },
    );
  });

  it("is done, and fenced, when the instance is stopped or gone", () => {
    expect(decide(step, { instance: instance(A, "stopped") }, T0)).toEqual({
      kind: "done",
      note: `instance ${A} is stopped`,
      patch: { fenced: true },
    });
    expect(decide(step, {}, T0)).toEqual({ kind: "done", note: `instance ${A} is gone`, patch: { fenced: true } });
  });

  it("stops a running instance with force", () => {
    expect(decide(step, { instance: instance(A, "running") }, T0)).toEqual({
      kind: "act",
      command: { kind: "stop-instance", instanceId: A },
      reason: `stopping ${A} (force)`,
    });
  });

  it("forces the stop of an instance stuck 'stopping': at once, then every 60 s, at most 4 requests", () => {
    const stopping = { instance: instance(A, "stopping") };
    expect(decide(step, stopping, T0)).toMatchObject({ kind: "act", command: { kind: "stop-instance" } });
    expect(decide(step, stopping, T0 + 59_999, { attempts: 1 })).toEqual({
      kind: "wait",
      reason: `instance ${A} is stopping`,
    });
    expect(decide(step, stopping, T0 + 60_000, { attempts: 1 })).toEqual({
      kind: "act",
      command: { kind: "stop-instance", instanceId: A },
      reason: `instance ${A} is still stopping: StopInstances with Force (request 2 of at most 4)`,
    });
    expect(decide(step, stopping, T0 + 180_000, { attempts: 3 })).toMatchObject({ kind: "act" });
    expect(decide(step, stopping, T0 + 240_000, { attempts: 4 })).toEqual({
      kind: "wait",
      reason: `instance ${A} is stopping`,
    });
  });

  it("only waits on 'shutting-down' (StopInstances is refused there)", () => {
    expect(decide(step, { instance: instance(A, "shutting-down") }, T0)).toEqual({
      kind: "wait",
      reason: `instance ${A} is shutting-down`,
    });
  });

  it("fails after 10 min without a stopped instance, and the volume is not moved", () => {
    expect(decide(step, { instance: instance(A, "stopping") }, T0 + 600_000, { attempts: 4 })).toMatchObject({
      kind: "wait",
    });
    expect(decide(step, { instance: instance(A, "stopping") }, T0 + 600_001, { attempts: 4 })).toEqual({
      kind: "fail",
      reason: `instance ${A} is still stopping: fencing not confirmed, the volume is not moved`,
    });
  });
});

describe("decideStep: detach-volume", () => {
  const step: PlanStep = { kind: "detach-volume", resourceId: "data", volumeId: VOL, instanceId: A, nodeId: "db-a" };
  const on = (state: string) => ({ volume: volume([{ instanceId: A, device: "/dev/xvdf", state }]) });

  it("is done when the volume is not attached to the source (attached elsewhere is the attach step's affair)", () => {
    expect(decide(step, { volume: volume([{ instanceId: B, device: "/dev/xvdf", state: "attached" }]) }, T0)).toEqual({
      kind: "done",
      note: `volume ${VOL} is detached from ${A}`,
    });
  });

  it("detaches without force from an instance not fenced, even after 60 s", () => {
    expect(decide(step, on("attached"), T0 + 61_000)).toEqual({
      kind: "act",
      command: { kind: "detach-volume", volumeId: VOL, instanceId: A, force: false },
      reason: `detaching ${VOL} from ${A}`,
    });
  });

  it("waits on a busy detach, and forces it only from a fenced source after 60 s, at most twice", () => {
    // An unfenced source is fenced first (held-detach-fence.test.ts), never force-detached.
    expect(decide(step, on("busy"), T0 + 60_000)).toEqual({ kind: "wait", reason: `volume ${VOL} is busy` });
    expect(decide(step, on("busy"), T0 + 61_000).kind).toBe("fence-first");
    expect(decide(step, on("busy"), T0 + 60_000, { fenced: true, fencedInstances: [A] })).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is busy`,
    });
    expect(decide(step, on("busy"), T0 + 61_000, { fenced: true, fencedInstances: [A] })).toEqual({
      kind: "act",
      command: { kind: "detach-volume", volumeId: VOL, instanceId: A, force: true },
      reason: `detach stuck 61s on fenced ${A}: forcing`,
    });
    expect(decide(step, on("busy"), T0 + 61_000, { fenced: true, fencedInstances: [A], attempts: 2 })).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is busy`,
    });
  });

  it("does not force a detach from one instance because another source was fenced", () => {
    expect(decide(step, on("detaching"), T0 + 61_000, { fenced: true, fencedInstances: [B] })).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is detaching`,
    });
    // Busy there: that source is fenced first (held-detach-fence.test.ts), never force-detached unfenced.
    expect(decide(step, on("busy"), T0 + 61_000, { fenced: true, fencedInstances: [B] }).kind).toBe("fence-first");
  });

  it("fails after 10 min, and when the volume does not exist", () => {
    expect(decide(step, on("busy"), T0 + 600_001, { fenced: true, fencedInstances: [A] })).toEqual({
      kind: "fail",
      reason: `volume ${VOL} is still busy on ${A}`,
    });
    expect(decide(step, {}, T0)).toEqual({ kind: "fail", reason: `volume ${VOL} does not exist` });
  });
});

describe("decideStep: attach-volume", () => {
  const step: PlanStep = {
    kind: "attach-volume",
    resourceId: "data",
    volumeId: VOL,
    instanceId: B,
    device: "/dev/xvdf",
  };
  const seen = (attachments: VolumeView["attachments"], zone = "us-east-1a"): StepObservation => ({
    volume: volume(attachments, zone),
    instance: instance(B, "running"),
  });

  it("attaches a free volume to the target", () => {
    expect(decide(step, seen([]), T0)).toEqual({
      kind: "act",
      command: { kind: "attach-volume", volumeId: VOL, instanceId: B, device: "/dev/xvdf" },
      reason: `attaching ${VOL} to ${B} at /dev/xvdf`,
    });
  });

  it("is done once attached to the target, and waits while it is attaching", () => {
    expect(decide(step, seen([{ instanceId: B, device: "/dev/xvdf", state: "attached" }]), T0)).toEqual({
      kind: "done",
      note: `volume ${VOL} attached to ${B}`,
    });
    expect(decide(step, seen([{ instanceId: B, device: "/dev/xvdf", state: "attaching" }]), T0)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is attaching on ${B}`,
    });
  });

  it("waits while it detaches from another instance, and fails while it is held there", () => {
    expect(decide(step, seen([{ instanceId: A, device: "/dev/xvdf", state: "detaching" }]), T0)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} is still detaching from ${A}`,
    });
    expect(decide(step, seen([{ instanceId: A, device: "/dev/xvdf", state: "attached" }]), T0)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} is attached to ${A}, not the source of this move`,
    });
  });

  it("waits when a describe still shows the volume on a source this plan's detach step saw it leave (describes lag)", () => {
    const detach: PlanStep = {
      kind: "detach-volume",
      resourceId: "data",
      volumeId: VOL,
      instanceId: A,
      nodeId: "db-a",
    };
    const after = { steps: [detach, step], stepIndex: 1 };
    const stale = seen([{ instanceId: A, device: "/dev/xvdf", state: "attached" }]);
    expect(decideStep(step, plan(after), postgres, stale, T0 + 1_000)).toEqual({
      kind: "wait",
      reason: `volume ${VOL} still shows attached to ${A}, which the detach step saw detached: waiting for DescribeVolumes to catch up`,
    });
    // Still bounded by the attach timeout (3 min).
    expect(decideStep(step, plan(after), postgres, stale, T0 + 180_001)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} is not attached to ${B} after 180s`,
    });
  });

  it("fails on a zone mismatch found mid-plan, and after 3 min", () => {
    expect(decide(step, seen([], "us-east-1b"), T0)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} and instance ${B} are in different zones`,
    });
    expect(decide(step, seen([{ instanceId: A, device: "/dev/xvdf", state: "detaching" }]), T0 + 180_001)).toEqual({
      kind: "fail",
      reason: `volume ${VOL} is not attached to ${B} after 180s`,
    });
  });
});

describe("decideStep: await-online", () => {
  const step: PlanStep = { kind: "await-online", resourceId: "postgres", nodeId: "db-b" };
  const seen = (state: string, receivedAt = T0 + 1_000): StepObservation => ({
    liveness: report({ nodeId: "db-b", receivedAt, resources: { postgres: state as "online" } }),
    nodeUp: true,
  });

  it("is done on a fresh 'online', fails on a fresh 'failed', ignores reports from before the step", () => {
    expect(decide(step, seen("online"), T0 + 2_000)).toEqual({ kind: "done", note: "db-b reports postgres online" });
    expect(decide(step, seen("failed"), T0 + 2_000)).toEqual({ kind: "fail", reason: "db-b reports postgres failed" });
    expect(decide(step, seen("online", T0), T0 + 2_000)).toEqual({
      kind: "wait",
      reason: "waiting for db-b to start postgres",
    });
  });

  it("fails after its pendingTimeout (3 min)", () => {
    expect(decide(step, seen("starting"), T0 + 180_000)).toMatchObject({ kind: "wait" });
    expect(decide(step, seen("starting"), T0 + 180_001)).toEqual({
      kind: "fail",
      reason: "postgres did not come online on db-b within its pending timeout",
    });
  });
});

describe("decideStep: associate-address", () => {
  const step: PlanStep = { kind: "associate-address", resourceId: "ip", allocationId: "eipalloc-1", instanceId: B };
  const address = (instanceId: string | null) => ({
    address: { allocationId: "eipalloc-1", publicIp: "198.51.100.1", instanceId },
  });

  it("associates, then waits 5 s for DescribeAddresses to catch up, then is done", () => {
    expect(decide(step, address(A), T0)).toEqual({
      kind: "act",
      command: { kind: "associate-address", allocationId: "eipalloc-1", instanceId: B },
      reason: `associating 198.51.100.1 with ${B}`,
    });
    expect(decide(step, address(A), T0 + 4_999, { attempts: 1 })).toMatchObject({ kind: "wait" });
    expect(decide(step, address(A), T0 + 5_000, { attempts: 1 })).toMatchObject({ kind: "act" });
    expect(decide(step, address(B), T0)).toEqual({ kind: "done", note: `198.51.100.1 is on ${B}` });
  });

  it("fails after 2 min, and when the address does not exist", () => {
    expect(decide(step, address(A), T0 + 120_001, { attempts: 3 })).toEqual({
      kind: "fail",
      reason: `address eipalloc-1 did not move to ${B}`,
    });
    expect(decide(step, {}, T0)).toEqual({ kind: "fail", reason: "address eipalloc-1 does not exist" });
  });
});

describe("decideStep: upsert-record", () => {
  const step: PlanStep = {
    kind: "upsert-record",
    resourceId: "dns",
    hostedZoneId: "Z1",
    name: "db.example.com",
    ttl: 10,
    instanceId: B,
    target: "private-ip",
  };
  const target = { instance: instance(B, "running") };

  it("upserts, waits for INSYNC, and is done", () => {
    expect(decide(step, { ...target, record: { values: ["10.0.1.11"], ttl: 10 } }, T0)).toEqual({
      kind: "act",
      command: { kind: "upsert-record", hostedZoneId: "Z1", name: "db.example.com", address: "10.0.1.12", ttl: 10 },
      reason: "pointing db.example.com at 10.0.1.12",
    });
    const matching = { ...target, record: { values: ["10.0.1.12"], ttl: 10 } };
    expect(decide(step, { ...matching, changeStatus: "PENDING" }, T0, { pendingChangeId: "c1" })).toEqual({
      kind: "wait",
      reason: "waiting for the change of db.example.com to be INSYNC",
    });
    expect(decide(step, { ...matching, changeStatus: "INSYNC" }, T0, { pendingChangeId: "c1" })).toEqual({
      kind: "done",
      note: "db.example.com -> 10.0.1.12",
    });
    expect(decide(step, matching, T0)).toEqual({ kind: "done", note: "db.example.com -> 10.0.1.12" });
  });

  it("moves on after 3 min without INSYNC once the record is right, and fails without an address", () => {
    const matching = { ...target, record: { values: ["10.0.1.12"], ttl: 10 }, changeStatus: "PENDING" as const };
    expect(decide(step, matching, T0 + 180_001, { pendingChangeId: "c1" })).toEqual({
      kind: "done",
      note: "db.example.com -> 10.0.1.12 (change not INSYNC after 180s)",
    });
    expect(decide(step, {}, T0)).toEqual({ kind: "fail", reason: "target has no private-ip for db.example.com" });
  });
});
