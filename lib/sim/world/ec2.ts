/**
 * EC2 as it behaves, for the controller's Ec2Port. States change with time, not with describe calls:
 * - StopInstances: `stopping` for 2..15 s, then `stopped` (the node's processes die then); in a "sticky stop"
 *   window a stop stays `stopping` for minutes unless a StopInstances with Force is sent again while it is
 *   `stopping` (AWS's documented remedy), then it ends within seconds;
 * - AttachVolume: `attaching` 1..5 s; refused `VolumeInUse` (attached elsewhere), `IncorrectState` (detaching),
 *   `InvalidVolume.ZoneMismatch`;
 * - DetachVolume: `detaching` 1..8 s; on a Xen instance, `busy` while the running instance still has it mounted
 *   (until unmounted or the instance stops), unless forced; on a Nitro one it goes through (the oracle flags it);
 *   in a "sticky detach" window it stays `detaching` until forced;
 * - a describe shows the state of up to 2 s ago (lagged-views.ts); throttling at EC2's token-bucket rates, and in a
 *   storm window (windows.ts);
 * - a mutating call's answer can be lost after it took effect.
 * The oracle is told of every attach and forced detach, with whether another instance may still write.
 *
 * Over 300 lines on purpose: instances, volumes and addresses share one API's throttling and lost answers and one
 * lagged history, and each reads the others' states (a stop ends a busy detach, an attach checks the instance's zone
 * and who held the volume last); split apart, every half would reach into the other.
 */
import { AwsRejectedError, AwsThrottledError, AwsUnavailableError } from "../../core/aws-errors.js";
import type { AddressView, Ec2Port, InstanceState, InstanceView, VolumeView } from "../../core/controller/adapters.js";
import type { Oracle } from "../oracle.js";
import type { Prng } from "../prng.js";
import type { Scheduler, TimerHandle } from "../scheduler.js";
import type { Trace } from "../trace.js";
import { LaggedViews } from "./lagged-views.js";
import { Bucket, inWindow, type Windows } from "./windows.js";

/** What EC2 needs to know of the machines: whether a mount of the volume may run there, and power events. */
export interface Machines {
  mountMayRun(instanceId: string, volumeId: string): boolean;
  instanceStopped(instanceId: string): void;
  instanceRunning(instanceId: string): void;
}

interface Instance {
  readonly id: string;
  readonly zone: string;
  readonly privateIp: string;
  readonly publicIp: string;
  state: InstanceState;
  timer?: TimerHandle;
  sticky: boolean;
}

interface Attachment {
  readonly instanceId: string;
  readonly device: string;
  state: "attaching" | "attached" | "detaching" | "busy";
  sticky: boolean;
  timer?: TimerHandle;
}

interface Volume {
  readonly id: string;
  readonly zone: string;
  attachment: Attachment | undefined;
  /** The last instance it was attached to (the one that may still hold writes). */
  lastHolder: string | undefined;
}

export class SimEc2 implements Ec2Port {
  readonly instances = new Map<string, Instance>();
  readonly volumes = new Map<string, Volume>();
  readonly addresses = new Map<string, { id: string; ip: string; instanceId: string | null }>();
  /** Past views, for describes that lag. */
  private readonly views: LaggedViews;
  private readonly describeBucket: Bucket;
  private readonly mutateBucket: Bucket;

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    private readonly oracle: Oracle,
    private readonly trace: Trace,
    private readonly machines: Machines,
    readonly windows: Windows,
    /**
     * Instances on a platform where a detach of a volume the OS still has in use goes through (Nitro); on the
     * others (Xen) it stays `busy` until the OS lets go of the volume.
     */
    private readonly detachGoesThrough: ReadonlySet<string> = new Set(),
  ) {
    this.views = new LaggedViews(sched, rng);
    this.describeBucket = new Bucket(100, 20, sched.now);
    this.mutateBucket = new Bucket(50, 5, sched.now);
  }

  addInstance(id: string, zone: string, n: number): void {
    this.instances.set(id, {
      id,
      zone,
      privateIp: `10.0.0.${n}`,
      publicIp: `54.0.0.${n}`,
      state: "running",
      sticky: false,
    });
    this.snap(id);
  }

  addVolume(id: string, zone: string): void {
    this.volumes.set(id, { id, zone, attachment: undefined, lastHolder: undefined });
    this.snap(id);
  }

  addAddress(id: string, ip: string): void {
    this.addresses.set(id, { id, ip, instanceId: null });
    this.snap(id);
  }

  // ---- machine side (faults) ----

  /** The machine dies (hardware, an operator): it is off at once, EC2 shows `stopped` a little later. */
  powerOff(instanceId: string): void {
    const i = this.instances.get(instanceId);
    if (!i || i.state === "stopped") return;
    i.timer?.cancel();
    i.state = "stopping";
    this.snap(instanceId);
    this.machines.instanceStopped(instanceId);
    i.timer = this.sched.after(this.rng.int(500, 3000), () => this.setState(i, "stopped"));
  }

  /** An operator starts it again. */
  powerOn(instanceId: string): void {
    const i = this.instances.get(instanceId);
    if (!i || i.state !== "stopped") return;
    this.setState(i, "pending");
    i.timer = this.sched.after(this.rng.int(3000, 15000), () => this.setState(i, "running"));
  }

  private setState(i: Instance, state: InstanceState): void {
    i.state = state;
    this.trace.add(`ec2: ${i.id} ${state}`);
    this.snap(i.id);
    if (state === "stopped") {
      this.machines.instanceStopped(i.id);
      for (const v of this.volumes.values()) {
        if (v.attachment?.instanceId === i.id && v.attachment.state === "busy") this.finishDetach(v);
      }
    }
    if (state === "running") this.machines.instanceRunning(i.id);
  }

  /** The agent unmounted (or a mount held elsewhere let go): a `busy` detach proceeds once nothing uses it. */
  unmounted(instanceId: string, volumeId: string): void {
    const v = this.volumes.get(volumeId);
    const a = v?.attachment;
    // Busy until nothing on the instance uses the volume any more (a mount held elsewhere still does).
    if (v && a?.instanceId === instanceId && a.state === "busy" && !this.machines.mountMayRun(instanceId, volumeId)) {
      a.state = "detaching";
      this.snap(v.id);
      a.timer = this.sched.after(this.rng.int(1000, 4000), () => this.finishDetach(v));
    }
  }

  // ---- the port ----

  private async api<T>(action: string, mutating: boolean, effect: () => T): Promise<T> {
    await this.sched.sleep(this.rng.int(20, 250));
    const now = this.sched.now;
    const bucket = mutating ? this.mutateBucket : this.describeBucket;
    if (!bucket.take(now) || (inWindow(this.windows.throttleStorm, now) && this.rng.chance(0.6))) {
      throw new AwsThrottledError(action, "RequestLimitExceeded");
    }
    const result = effect();
    await this.sched.sleep(this.rng.int(5, 60));
    if (mutating && inWindow(this.windows.lostAnswers, this.sched.now) && this.rng.chance(0.3)) {
      this.trace.add(`ec2: ${action} took effect, its answer lost`);
      throw new AwsUnavailableError(action, "socket hang up (the request took effect)");
    }
    return result;
  }

  private snap(id: string): void {
    let view: unknown;
    const i = this.instances.get(id);
    const v = this.volumes.get(id);
    const a = this.addresses.get(id);
    if (i) {
      view = {
        instanceId: i.id,
        state: i.state,
        availabilityZone: i.zone,
        privateIp: i.privateIp,
        publicIp: i.publicIp,
      } satisfies InstanceView;
    } else if (v) {
      view = {
        volumeId: v.id,
        state: v.attachment ? "in-use" : "available",
        availabilityZone: v.zone,
        attachments: v.attachment
          ? [{ instanceId: v.attachment.instanceId, device: v.attachment.device, state: v.attachment.state }]
          : [],
      } satisfies VolumeView;
    } else if (a) {
      view = { allocationId: a.id, publicIp: a.ip, instanceId: a.instanceId } satisfies AddressView;
    }
    this.views.record(id, view);
  }

  describeInstance(instanceId: string): Promise<InstanceView | undefined> {
    return this.api("DescribeInstances", false, () => this.views.read<InstanceView>(instanceId));
  }

  describeVolume(volumeId: string): Promise<VolumeView | undefined> {
    return this.api("DescribeVolumes", false, () => this.views.read<VolumeView>(volumeId));
  }

  describeAddress(allocationId: string): Promise<AddressView | undefined> {
    return this.api("DescribeAddresses", false, () => this.views.read<AddressView>(allocationId));
  }

  stopInstance(instanceId: string, force: boolean): Promise<void> {
    return this.api("StopInstances", true, () => {
      const i = this.instances.get(instanceId);
      if (!i) throw new AwsRejectedError("StopInstances", "InvalidInstanceID.NotFound", instanceId);
      if (i.state === "pending")
        throw new AwsRejectedError("StopInstances", "IncorrectState", `${instanceId} is pending`);
      if (i.state === "stopped" || i.state === "terminated") return;
      if (i.state === "stopping") {
        if (i.sticky && force) {
          // The documented remedy for an instance stuck in stopping: a forced stop again.
          i.sticky = false;
          i.timer?.cancel();
          i.timer = this.sched.after(this.rng.int(1000, 5000), () => this.setState(i, "stopped"));
          this.trace.add(`ec2: ${instanceId} forced again while stopping`);
        }
        return;
      }
      this.trace.add(`ec2: StopInstances ${instanceId} (force=${force})`);
      i.state = "stopping";
      this.snap(i.id);
      i.sticky = inWindow(this.windows.stickyStop, this.sched.now);
      const ms = i.sticky ? this.rng.int(240_000, 600_000) : this.rng.int(2000, 15000);
      i.timer = this.sched.after(ms, () => this.setState(i, "stopped"));
    });
  }

  detachVolume(volumeId: string, instanceId: string, force: boolean): Promise<void> {
    return this.api("DetachVolume", true, () => {
      const v = this.volumes.get(volumeId);
      if (!v) throw new AwsRejectedError("DetachVolume", "InvalidVolume.NotFound", volumeId);
      const a = v.attachment;
      if (!a || a.instanceId !== instanceId) return; // the adapter: detaching what is detached succeeds
      if (a.state === "attaching")
        throw new AwsRejectedError("DetachVolume", "IncorrectState", `${volumeId} is attaching`);
      const inst = this.instances.get(instanceId);
      const mayWrite =
        inst !== undefined && inst.state !== "stopped" && this.machines.mountMayRun(instanceId, volumeId);
      this.trace.add(`ec2: DetachVolume ${volumeId} from ${instanceId} (force=${force}) [${a.state}]`);
      if (force) {
        if (mayWrite)
          this.oracle.violate(
            "volume",
            `${volumeId} force-detached from ${instanceId}, which may still write it (running, mount up)`,
          );
        a.timer?.cancel();
        a.state = "detaching";
        this.snap(v.id);
        a.timer = this.sched.after(this.rng.int(500, 2000), () => this.finishDetach(v));
        return;
      }
      if (a.state === "detaching" || a.state === "busy") {
        if (a.state === "detaching")
          throw new AwsRejectedError("DetachVolume", "IncorrectState", `${volumeId} is detaching`);
        return;
      }
      if (mayWrite && !this.detachGoesThrough.has(instanceId)) {
        // A mounted volume stays `busy` until it is unmounted (Xen); on Nitro the detach goes through, under
        // the running system's feet: judged when it completes (finishDetach).
        a.state = "busy";
        this.snap(v.id);
        return;
      }
      a.state = "detaching";
      a.sticky = inWindow(this.windows.stickyDetach, this.sched.now);
      this.snap(v.id);
      if (!a.sticky) a.timer = this.sched.after(this.rng.int(1000, 8000), () => this.finishDetach(v));
    });
  }

  private finishDetach(v: Volume): void {
    if (!v.attachment) return;
    const holder = this.instances.get(v.attachment.instanceId);
    if (holder && holder.state !== "stopped" && this.machines.mountMayRun(holder.id, v.id)) {
      this.oracle.violate(
        "volume",
        `${v.id} detached from ${holder.id}, which is ${holder.state} and still has it mounted`,
      );
    }
    this.trace.add(`ec2: ${v.id} detached from ${v.attachment.instanceId}`);
    v.attachment.timer?.cancel();
    v.attachment = undefined;
    this.snap(v.id);
  }

  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    return this.api("AttachVolume", true, () => {
      const v = this.volumes.get(volumeId);
      if (!v) throw new AwsRejectedError("AttachVolume", "InvalidVolume.NotFound", volumeId);
      const i = this.instances.get(instanceId);
      if (!i) throw new AwsRejectedError("AttachVolume", "InvalidInstanceID.NotFound", instanceId);
      if (i.zone !== v.zone) throw new AwsRejectedError("AttachVolume", "InvalidVolume.ZoneMismatch", volumeId);
      const a = v.attachment;
      if (a?.instanceId === instanceId) return; // re-attaching what is attached: the adapter succeeds
      if (a && (a.state === "attached" || a.state === "attaching"))
        throw new AwsRejectedError("AttachVolume", "VolumeInUse", `${volumeId} is attached to ${a.instanceId}`);
      if (a) throw new AwsRejectedError("AttachVolume", "IncorrectState", `${volumeId} is ${a.state}`);
      const old = v.lastHolder;
      if (old !== undefined && old !== instanceId) {
        const oi = this.instances.get(old);
        if (oi && oi.state !== "stopped" && this.machines.mountMayRun(old, volumeId)) {
          this.oracle.violate(
            "volume",
            `${volumeId} attached to ${instanceId} while ${old} (${oi.state}, mount may run) may still write it`,
          );
        }
      }
      this.trace.add(`ec2: AttachVolume ${volumeId} to ${instanceId}`);
      const attachment: Attachment = { instanceId, device, state: "attaching", sticky: false };
      v.attachment = attachment;
      v.lastHolder = instanceId;
      this.snap(v.id);
      attachment.timer = this.sched.after(this.rng.int(1000, 5000), () => {
        attachment.state = "attached";
        this.snap(v.id);
      });
    });
  }

  associateAddress(allocationId: string, instanceId: string): Promise<void> {
    return this.api("AssociateAddress", true, () => {
      const a = this.addresses.get(allocationId);
      if (!a) throw new AwsRejectedError("AssociateAddress", "InvalidAllocationID.NotFound", allocationId);
      a.instanceId = instanceId;
      this.snap(a.id);
    });
  }

  seedAssociation(allocationId: string, instanceId: string): void {
    const a = this.addresses.get(allocationId);
    if (a) a.instanceId = instanceId;
    this.snap(allocationId);
  }

  /** Attaches at start (the world's initial state), without oracle checks. */
  seedAttachment(volumeId: string, instanceId: string, device: string): void {
    const v = this.volumes.get(volumeId);
    if (!v) return;
    v.attachment = { instanceId, device, state: "attached", sticky: false };
    v.lastHolder = instanceId;
    this.snap(volumeId);
  }
}
