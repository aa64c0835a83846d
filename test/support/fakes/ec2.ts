import { AwsRejectedError, AwsThrottledError } from "../../../lib/core/aws-errors.js";
import type {
  AddressView,
  Ec2Port,
  InstanceState,
  InstanceView,
  VolumeView,
} from "../../../lib/core/controller/adapters.js";

/**
 * A stateful Ec2Port for unit tests that behaves as the real adapter (lib/aws/ec2.ts) on real
 * EC2, including what moto does not model:
 * - a detach stays `detaching` for `detachDescribes` describeVolume calls (or `detachMs` of the
 *   injected clock) before the volume is `available`; `stickDetach` keeps it `detaching` until a
 *   detach with force;
 * - an attach is `attaching` for `attachDescribes` describes; a stop is `stopping` for `stopDescribes`;
 * - an instance put in `stopping` by `setInstanceState` stays there until StopInstances with Force;
 * - attaching to an instance in another zone: `InvalidVolume.ZoneMismatch`; attaching a volume
 *   on another instance: `VolumeInUse`; one that is detaching (or otherwise not available):
 *   `IncorrectState`; unknown ids: `InvalidVolume.NotFound`, `InvalidInstanceID.NotFound`,
 *   `InvalidAllocationID.NotFound`;
 * - eventual consistency: with `staleDescribes: n`, the n describes of a resource that follow
 *   an action on it still show it as it was before the action;
 * - the adapter's idempotency: detaching what is detached and re-attaching what is attached
 *   (same instance, same device) succeed;
 * - injected failures (`throttle`, `failNext`) and a log of every call (`calls`).
 */
export interface FakeInstance {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly state?: InstanceState;
  readonly privateIp?: string | null;
  readonly publicIp?: string | null;
}

export interface FakeVolume {
  readonly volumeId: string;
  readonly availabilityZone: string;
  /** Attached (state `attached`) at the start. */
  readonly attachments?: readonly { readonly instanceId: string; readonly device: string }[];
}

export interface FakeAddress {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly instanceId?: string | null;
}

export interface FakeEc2World {
  readonly instances: readonly FakeInstance[];
  readonly volumes: readonly FakeVolume[];
  readonly addresses: readonly FakeAddress[];
}

export interface FakeEc2Options {
  /** describeVolume calls that still show `detaching` after a detach. @default 1 */
  readonly detachDescribes?: number;
  /** describeVolume calls that still show `attaching` after an attach. @default 1 */
  readonly attachDescribes?: number;
  /** describeInstance calls that still show `stopping` after a stop. @default 1 */
  readonly stopDescribes?: number;
  /** When set with `clock`, a detach completes this many ms after it began, whatever the describes. */
  readonly detachMs?: number;
  /** When set with `clock`, a stop completes this many ms after it began. */
  readonly stopMs?: number;
  /** The clock `detachMs` and `stopMs` are measured on (epoch ms). */
  readonly clock?: () => number;
  /** Describes of a resource after an action on it that still show the state before it. @default 0 */
  readonly staleDescribes?: number;
}

export type Ec2Operation = keyof Ec2Port;

export interface Ec2Call {
  readonly operation: Ec2Operation;
  readonly args: readonly unknown[];
  /** `ok`, or the error's name (`AwsThrottledError`, `AwsRejectedError`, ...). */
  readonly outcome: string;
}

/** The AWS action behind each port method: the `operation` of the errors the fake throws. */
const ACTIONS: Record<Ec2Operation, string> = {
  describeInstance: "DescribeInstances",
  stopInstance: "StopInstances",
  describeVolume: "DescribeVolumes",
  detachVolume: "DetachVolume",
  attachVolume: "AttachVolume",
  describeAddress: "DescribeAddresses",
  associateAddress: "AssociateAddress",
};

/** A state change under way: done after `describes` more describes, or at `readyAt` on the clock. */
interface Transition {
  describes: number;
  readonly readyAt: number | undefined;
}

interface InstanceRecord {
  readonly instanceId: string;
  readonly availabilityZone: string;
  state: InstanceState;
  privateIp: string | null;
  publicIp: string | null;
  stop?: Transition;
}

interface AttachmentRecord {
  readonly instanceId: string;
  readonly device: string;
  state: "attaching" | "attached" | "detaching";
  transition?: Transition;
  /** Stuck in `detaching` until a detach with force. */
  stuck?: boolean;
}

interface VolumeRecord {
  readonly volumeId: string;
  readonly availabilityZone: string;
  attachment: AttachmentRecord | undefined;
}

interface AddressRecord {
  readonly allocationId: string;
  readonly publicIp: string;
  instanceId: string | null;
}

interface Stale<T> {
  readonly view: T | undefined;
  remaining: number;
}

export class FakeEc2 implements Ec2Port {
  readonly calls: Ec2Call[] = [];
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly volumes = new Map<string, VolumeRecord>();
  private readonly addresses = new Map<string, AddressRecord>();
  private readonly stale = new Map<string, Stale<unknown>>();
  private readonly failures: { operation: Ec2Operation; error: () => Error; remaining: number }[] = [];
  private readonly stuckDetaches = new Set<string>();
  private readonly options: Required<Omit<FakeEc2Options, "detachMs" | "stopMs" | "clock">> &
    Pick<FakeEc2Options, "detachMs" | "stopMs" | "clock">;

  constructor(world: FakeEc2World, options: FakeEc2Options = {}) {
    this.options = {
      detachDescribes: 1,
      attachDescribes: 1,
      stopDescribes: 1,
      staleDescribes: 0,
      ...options,
    };
    for (const i of world.instances) {
      this.instances.set(i.instanceId, {
        instanceId: i.instanceId,
        availabilityZone: i.availabilityZone,
        state: i.state ?? "running",
        privateIp: i.privateIp ?? null,
        publicIp: i.publicIp ?? null,
      });
    }
    for (const v of world.volumes) {
      const first = v.attachments?.[0];
      this.volumes.set(v.volumeId, {
        volumeId: v.volumeId,
        availabilityZone: v.availabilityZone,
        attachment: first && { instanceId: first.instanceId, device: first.device, state: "attached" },
      });
    }
    for (const a of world.addresses) {
      this.addresses.set(a.allocationId, {
        allocationId: a.allocationId,
        publicIp: a.publicIp,
        instanceId: a.instanceId ?? null,
      });
    }
  }

  // ---- knobs ----

  /** The next `count` calls of `operation` throw AwsThrottledError (RequestLimitExceeded). */
  throttle(operation: Ec2Operation, count = 1): this {
    return this.failNext(operation, () => new AwsThrottledError(ACTIONS[operation], "RequestLimitExceeded"), count);
  }

  /** The next `count` calls of `operation` throw what `error` makes, and change nothing. */
  failNext(operation: Ec2Operation, error: () => Error, count = 1): this {
    this.failures.push({ operation, error, remaining: count });
    return this;
  }

  /** Forgets the failures `throttle` and `failNext` still had to inject (the fault is fixed). */
  clearFailures(): this {
    this.failures.length = 0;
    return this;
  }

  /** The next detach of this volume stays `detaching` until a detach with force. */
  stickDetach(volumeId: string): this {
    this.stuckDetaches.add(volumeId);
    return this;
  }

  /** Sets an instance's state at once (a crash, an operator's stop), as AWS would report it. */
  setInstanceState(instanceId: string, state: InstanceState): this {
    const instance = this.instance(instanceId, "describeInstance");
    instance.state = state;
    delete instance.stop;
    return this;
  }

  /** The calls of one operation, in order. */
  callsOf(operation: Ec2Operation): Ec2Call[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** The true current state, without stale views or advancing transitions. */
  peekVolume(volumeId: string): VolumeView | undefined {
    const volume = this.volumes.get(volumeId);
    return volume && volumeView(volume);
  }

  peekInstance(instanceId: string): InstanceView | undefined {
    const instance = this.instances.get(instanceId);
    return instance && instanceView(instance);
  }

  peekAddress(allocationId: string): AddressView | undefined {
    const address = this.addresses.get(allocationId);
    return address && { ...address };
  }

  // ---- Ec2Port ----

  describeInstance(instanceId: string): Promise<InstanceView | undefined> {
    return this.run("describeInstance", [instanceId], () => {
      const stale = this.staleView<InstanceView>(instanceId);
      if (stale) return stale.view;
      const instance = this.instances.get(instanceId);
      if (!instance) return undefined;
      if (instance.stop && this.advance(instance.stop)) {
        instance.state = "stopped";
        delete instance.stop;
      }
      return instanceView(instance);
    });
  }

  stopInstance(instanceId: string, force: boolean): Promise<void> {
    return this.run("stopInstance", [instanceId, force], () => {
      const instance = this.instance(instanceId, "stopInstance");
      if (instance.state === "terminated" || instance.state === "shutting-down") {
        throw this.rejected("stopInstance", "IncorrectInstanceState", `${instanceId} is ${instance.state}`);
      }
      if (instance.state === "stopped") return;
      if (instance.state === "stopping") {
        // A stop stuck on its own (no transition: `setInstanceState(id, "stopping")`) completes only when forced.
        if (force && !instance.stop) instance.stop = this.transition(this.options.stopDescribes, this.options.stopMs);
        return;
      }
      this.markStale(instanceId, instanceView(instance));
      instance.state = "stopping";
      instance.stop = this.transition(this.options.stopDescribes, this.options.stopMs);
    });
  }

  describeVolume(volumeId: string): Promise<VolumeView | undefined> {
    return this.run("describeVolume", [volumeId], () => {
      const stale = this.staleView<VolumeView>(volumeId);
      if (stale) return stale.view;
      const volume = this.volumes.get(volumeId);
      if (!volume) return undefined;
      const attachment = volume.attachment;
      if (attachment?.transition && !attachment.stuck && this.advance(attachment.transition)) {
        delete attachment.transition;
        if (attachment.state === "detaching") volume.attachment = undefined;
        else attachment.state = "attached";
      }
      return volumeView(volume);
    });
  }

  detachVolume(volumeId: string, instanceId: string, force: boolean): Promise<void> {
    return this.run("detachVolume", [volumeId, instanceId, force], () => {
      const volume = this.volume(volumeId, "detachVolume");
      const attachment = volume.attachment;
      // The adapter's idempotency: nothing attached to that instance is already detached.
      if (!attachment || attachment.instanceId !== instanceId) return;
      if (attachment.state === "detaching") {
        if (force && attachment.stuck) {
          attachment.stuck = false;
          attachment.transition = this.transition(this.options.detachDescribes, this.options.detachMs);
        }
        return;
      }
      this.markStale(volumeId, volumeView(volume));
      attachment.state = "detaching";
      attachment.transition = this.transition(this.options.detachDescribes, this.options.detachMs);
      if (this.stuckDetaches.delete(volumeId) && !force) attachment.stuck = true;
    });
  }

  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    return this.run("attachVolume", [volumeId, instanceId, device], () => {
      const volume = this.volume(volumeId, "attachVolume");
      const instance = this.instance(instanceId, "attachVolume");
      const attachment = volume.attachment;
      if (attachment) {
        if (attachment.state === "detaching") {
          throw this.rejected("attachVolume", "IncorrectState", `${volumeId} is not 'available'`);
        }
        if (attachment.instanceId === instanceId && attachment.device === device) return;
        throw this.rejected("attachVolume", "VolumeInUse", `${volumeId} is already attached to an instance`);
      }
      if (volume.availabilityZone !== instance.availabilityZone) {
        throw this.rejected(
          "attachVolume",
          "InvalidVolume.ZoneMismatch",
          `${volumeId} is in ${volume.availabilityZone}, ${instanceId} in ${instance.availabilityZone}`,
        );
      }
      if (instance.state !== "running" && instance.state !== "stopped") {
        throw this.rejected("attachVolume", "IncorrectInstanceState", `${instanceId} is ${instance.state}`);
      }
      this.markStale(volumeId, volumeView(volume));
      volume.attachment = {
        instanceId,
        device,
        state: "attaching",
        transition: this.transition(this.options.attachDescribes, undefined),
      };
    });
  }

  describeAddress(allocationId: string): Promise<AddressView | undefined> {
    return this.run("describeAddress", [allocationId], () => {
      const stale = this.staleView<AddressView>(allocationId);
      if (stale) return stale.view;
      const address = this.addresses.get(allocationId);
      return address && { ...address };
    });
  }

  associateAddress(allocationId: string, instanceId: string): Promise<void> {
    return this.run("associateAddress", [allocationId, instanceId], () => {
      const address = this.addresses.get(allocationId);
      if (!address) {
        throw this.rejected("associateAddress", "InvalidAllocationID.NotFound", `${allocationId} does not exist`);
      }
      const instance = this.instance(instanceId, "associateAddress");
      if (instance.state === "terminated" || instance.state === "shutting-down") {
        throw this.rejected("associateAddress", "IncorrectInstanceState", `${instanceId} is ${instance.state}`);
      }
      if (address.instanceId === instanceId) return;
      this.markStale(allocationId, { ...address });
      const previous = address.instanceId === null ? undefined : this.instances.get(address.instanceId);
      if (previous) previous.publicIp = null;
      address.instanceId = instanceId;
      instance.publicIp = address.publicIp;
    });
  }

  // ---- internals ----

  private async run<T>(operation: Ec2Operation, args: unknown[], body: () => T): Promise<T> {
    await Promise.resolve();
    const failure = this.failures.find((f) => f.operation === operation && f.remaining > 0);
    try {
      if (failure) {
        failure.remaining -= 1;
        throw failure.error();
      }
      const result = body();
      this.calls.push({ operation, args, outcome: "ok" });
      return result;
    } catch (error) {
      this.calls.push({ operation, args, outcome: error instanceof Error ? error.name : "error" });
      throw error;
    }
  }

  private transition(describes: number, ms: number | undefined): Transition {
    const clock = this.options.clock;
    return { describes, readyAt: ms !== undefined && clock ? clock() + ms : undefined };
  }

  /** Counts one describe against the transition; true when it has completed. */
  private advance(transition: Transition): boolean {
    const clock = this.options.clock;
    if (transition.readyAt !== undefined && clock) return clock() >= transition.readyAt;
    if (transition.describes <= 0) return true;
    transition.describes -= 1;
    return false;
  }

  private markStale(id: string, view: unknown): void {
    if (this.options.staleDescribes > 0) this.stale.set(id, { view, remaining: this.options.staleDescribes });
  }

  private staleView<T>(id: string): Stale<T> | undefined {
    const stale = this.stale.get(id) as Stale<T> | undefined;
    if (!stale) return undefined;
    stale.remaining -= 1;
    if (stale.remaining <= 0) this.stale.delete(id);
    return stale;
  }

  private instance(instanceId: string, operation: Ec2Operation): InstanceRecord {
    const instance = this.instances.get(instanceId);
    if (!instance) throw this.rejected(operation, "InvalidInstanceID.NotFound", `${instanceId} does not exist`);
    return instance;
  }

  private volume(volumeId: string, operation: Ec2Operation): VolumeRecord {
    const volume = this.volumes.get(volumeId);
    if (!volume) throw this.rejected(operation, "InvalidVolume.NotFound", `${volumeId} does not exist`);
    return volume;
  }

  private rejected(operation: Ec2Operation, code: string, detail: string): AwsRejectedError {
    return new AwsRejectedError(ACTIONS[operation], code, detail);
  }
}

function instanceView(instance: InstanceRecord): InstanceView {
  const { instanceId, state, availabilityZone, privateIp, publicIp } = instance;
  return { instanceId, state, availabilityZone, privateIp, publicIp };
}

function volumeView(volume: VolumeRecord): VolumeView {
  const a = volume.attachment;
  return {
    volumeId: volume.volumeId,
    state: a ? "in-use" : "available",
    availabilityZone: volume.availabilityZone,
    attachments: a ? [{ instanceId: a.instanceId, device: a.device, state: a.state }] : [],
  };
}

// ---- examples/cluster.yaml ----

export const EXAMPLE_EC2 = {
  /** db-a, the postgres group's first preferred owner, which holds the volume and the address. */
  dbA: "i-0a1b2c3d4e5f60001",
  /** db-b. */
  dbB: "i-0a1b2c3d4e5f60002",
  zone: "us-east-1a",
  volume: "vol-0a1b2c3d4e5f60001",
  device: "/dev/xvdf",
  allocation: "eipalloc-0a1b2c3d4e5f60001",
  publicIp: "198.51.100.1",
  privateIps: { dbA: "10.0.1.11", dbB: "10.0.1.12" },
} as const;

/**
 * The example cluster's EC2 world: db-a and db-b running in us-east-1a, the postgres volume
 * attached to db-a at /dev/xvdf and the Elastic IP on db-a. `owner: "db-b"` puts the volume and
 * the address on db-b instead; `owner: null` leaves them free.
 */
export function exampleEc2World(
  options: { owner?: "db-a" | "db-b" | null; dbA?: InstanceState; dbB?: InstanceState } = {},
): FakeEc2World {
  const owner = options.owner === undefined ? EXAMPLE_EC2.dbA : ownerId(options.owner);
  return {
    instances: [
      {
        instanceId: EXAMPLE_EC2.dbA,
        availabilityZone: EXAMPLE_EC2.zone,
        state: options.dbA ?? "running",
        privateIp: EXAMPLE_EC2.privateIps.dbA,
        publicIp: owner === EXAMPLE_EC2.dbA ? EXAMPLE_EC2.publicIp : null,
      },
      {
        instanceId: EXAMPLE_EC2.dbB,
        availabilityZone: EXAMPLE_EC2.zone,
        state: options.dbB ?? "running",
        privateIp: EXAMPLE_EC2.privateIps.dbB,
        publicIp: owner === EXAMPLE_EC2.dbB ? EXAMPLE_EC2.publicIp : null,
      },
    ],
    volumes: [
      {
        volumeId: EXAMPLE_EC2.volume,
        availabilityZone: EXAMPLE_EC2.zone,
        attachments: owner ? [{ instanceId: owner, device: EXAMPLE_EC2.device }] : [],
      },
    ],
    addresses: [{ allocationId: EXAMPLE_EC2.allocation, publicIp: EXAMPLE_EC2.publicIp, instanceId: owner }],
  };
}

/** A FakeEc2 on the example cluster's world. */
export function exampleEc2(world: Parameters<typeof exampleEc2World>[0] = {}, options: FakeEc2Options = {}): FakeEc2 {
  return new FakeEc2(exampleEc2World(world), options);
}

function ownerId(owner: "db-a" | "db-b" | null): string | null {
  if (owner === null) return null;
  return owner === "db-a" ? EXAMPLE_EC2.dbA : EXAMPLE_EC2.dbB;
}
