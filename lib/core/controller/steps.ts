// Over 300 lines: one decision per step kind (`decideStep`), a switch whose cases share the observation, the step
// limits and the helpers below; each case is short, and the switch is where a step's rules are checked in one place.
import { DEFAULTS } from "../definition/limits.js";
import { ownValue } from "../dictionary.js";
import type { GroupDefinition, GroupId } from "../definition/types.js";
import type { AddressView, InstanceView, RecordView, VolumeView } from "./adapters.js";
import { isFenced, isUnconfirmed, type NodeReport, type Plan, type PlanStep } from "./records.js";
import { toldOf } from "./detection.js";
import { sourceOfStep } from "./plan-builder.js";
import { STEP_LIMITS } from "./timing.js";

/** What the controller saw of the real world for one step, just before deciding it. */
export interface StepObservation {
  readonly instance?: InstanceView | undefined;
  readonly volume?: VolumeView | undefined;
  readonly address?: AddressView | undefined;
  readonly record?: RecordView | undefined;
  readonly changeStatus?: "PENDING" | "INSYNC" | undefined;
  /** For agent steps: the node's liveness record and whether it is up. */
  readonly liveness?: NodeReport | undefined;
  readonly nodeUp?: boolean;
  /**
   * For agent steps: the node's lease + grace are over (`NodeHealth.leaseOver`), so its agent has stopped
   * everything. Absent: not known to be over.
   */
  readonly leaseOver?: boolean;
  /**
   * For agent steps: the groups the node's current boot, heard for longer than lease + grace, has never been told
   * of (`NodeHealth.untoldGroups`). Absent: none.
   */
  readonly untoldGroups?: readonly GroupId[];
}

/** One AWS action; the executor performs it and the next tick observes its effect. */
export type Command =
  | { readonly kind: "stop-instance"; readonly instanceId: string }
  | { readonly kind: "detach-volume"; readonly volumeId: string; readonly instanceId: string; readonly force: boolean }
  | { readonly kind: "attach-volume"; readonly volumeId: string; readonly instanceId: string; readonly device: string }
  | { readonly kind: "associate-address"; readonly allocationId: string; readonly instanceId: string }
  | {
      readonly kind: "upsert-record";
      readonly hostedZoneId: string;
      readonly name: string;
      readonly address: string;
      readonly ttl: number;
    };

export type StepDecision =
  | {
      readonly kind: "done";
      readonly note: string;
      readonly patch?: Partial<Pick<Plan, "fenced" | "sourceUnconfirmed">>;
    }
  | { readonly kind: "wait"; readonly reason: string }
  | { readonly kind: "act"; readonly command: Command; readonly reason: string }
  /**
   * The detach step's source must be fenced before the detach may go on: it confirmed its stop (so it was not
   * fenced), yet its volume's detach stays busy past the force bound (something still holds the volume there: a
   * mount in another mount namespace). `advance` puts a fence step of that source before this step.
   */
  | { readonly kind: "fence-first"; readonly reason: string }
  /**
   * An await-offline step's source reports from a boot never told of the group (its answers are lost, and the move
   * gave the group to another node, so no later answer will tell it): remember this report (`neverToldThrough`),
   * written only while it is the node's latest, and complete on a later report of the same boot still told nothing.
   */
  | { readonly kind: "remember-untold"; readonly through: { bootId: string; seq: number }; readonly reason: string }
  | { readonly kind: "fail"; readonly reason: string };

const done = (note: string, patch?: Partial<Pick<Plan, "fenced" | "sourceUnconfirmed">>): StepDecision =>
  patch ? { kind: "done", note, patch } : { kind: "done", note };
const wait = (reason: string): StepDecision => ({ kind: "wait", reason });
const fail = (reason: string): StepDecision => ({ kind: "fail", reason });
const act = (command: Command, reason: string): StepDecision => ({ kind: "act", command, reason });

/**
 * Decides a step from the real state (describe first, then act), so that repeating it is harmless
 * and a controller that died between two calls leaves nothing for the next pass to undo.
 */
export function decideStep(
  step: PlanStep,
  plan: Plan,
  group: GroupDefinition,
  seen: StepObservation,
  now: number,
): StepDecision {
  const elapsed = now - plan.stepStartedAt;
  switch (step.kind) {
    case "check-volume-zone": {
      if (!seen.volume) return fail(`volume ${step.volumeId} does not exist`);
      if (!seen.instance) return fail(`target instance ${step.instanceId} does not exist`);
      if (seen.volume.availabilityZone !== seen.instance.availabilityZone) {
        return fail(
          `volume ${step.volumeId} is in ${seen.volume.availabilityZone} but target ${step.instanceId} is in ${seen.instance.availabilityZone}: EBS volumes cannot cross zones; nothing was moved`,
        );
      }
      return done(`volume and target both in ${seen.volume.availabilityZone}`);
    }
    case "await-offline": {
      const reported = seen.liveness === undefined ? undefined : ownValue(seen.liveness.resources, step.resourceId);
      if (seen.liveness?.leaving === true && (reported === "offline" || reported === "fenced")) {
        // A leaving heartbeat is the boot's last word, sent after its resources stopped.
        return done(`${step.nodeId} left with ${step.resourceId} ${reported}`);
      }
      // The plan fences this source after the step: what it may still run is stopped before anything it held moves.
      const fenceFollows = plan.steps.some(
        (s, i) => i > plan.stepIndex && s.kind === "fence" && sourceOfStep(s, plan) === step.nodeId,
      );
      if (seen.nodeUp !== true) {
        // Its agent stops its resources when it loses its lease, but silence is not a confirmation: where the
        // group can fence, it is fenced before anything it held moves; where it cannot, its silence counts as a
        // stop only once its lease is over (lease + grace). A leaving node is not up from its leaving heartbeat
        // on, yet the answer to that heartbeat granted it a full lease: a resource that heartbeat did not confirm
        // (reported failed, or not at all) may run until then.
        if (seen.leaseOver !== true && !fenceFollows) {
          return wait(`${step.nodeId} did not confirm ${step.resourceId} offline and its lease is not over yet`);
        }
        return done(`source ${step.nodeId} fell silent before confirming ${step.resourceId} offline`, {
          sourceUnconfirmed: true,
        });
      }
      const confirmation = stopConfirmation(seen.liveness, step.resourceId, group.id, plan);
      if (confirmation !== null) return done(`${step.nodeId} ${confirmation}`);
      const untold = step.neverToldThrough;
      if (
        untold !== undefined &&
        seen.liveness !== undefined &&
        seen.liveness.bootId === untold.bootId &&
        seen.liveness.seq > untold.seq &&
        !toldOf(seen.liveness, group)
      ) {
        // That boot never ran anything of the group; what an earlier boot left (a unit that outlived a crashed
        // agent) is not known: unconfirmed, so a source the group can fence is fenced.
        return done(
          `${step.nodeId}'s boot was never told of group ${group.id} (report ${seen.liveness.seq}): it runs nothing of it`,
          { sourceUnconfirmed: true },
        );
      }
      if (
        seen.liveness !== undefined &&
        (untold === undefined || untold.bootId !== seen.liveness.bootId) &&
        !toldOf(seen.liveness, group) &&
        seen.untoldGroups?.includes(group.id) === true &&
        fenceFollows
      ) {
        // The source's agent restarted into lost answers while the move ran: the boot that ran the group is gone,
        // and this one will never confirm a stop. Rather than wait out the pending timeout, take its next report:
        // only once the boot has gone untold for lease + grace (as an untold owner is judged, §8: before that its
        // answers may only be late, and once told it confirms its own stop, with no fence), and only where the
        // source is fenced after this step. What the earlier boot left (a unit, a mount outlive an agent's crash or
        // a failed stop) only the new boot, once told of the group, or the fence would stop; an unfenced source
        // waits for its word or the pending timeout, then the group is left failed (§7).
        return {
          kind: "remember-untold",
          through: { bootId: seen.liveness.bootId, seq: seen.liveness.seq },
          reason: `${step.nodeId}'s boot ${seen.liveness.bootId.slice(0, 8)} has not been told of group ${group.id} (report ${seen.liveness.seq}): its next report decides`,
        };
      }
      if (elapsed > pendingTimeout(group, step.resourceId)) {
        if (group.fencing === "stop-instance") {
          return done(`${step.nodeId} did not confirm ${step.resourceId} offline in time: it will be fenced`, {
            sourceUnconfirmed: true,
          });
        }
        return fail(`${step.nodeId} did not confirm ${step.resourceId} offline within its pending timeout`);
      }
      return wait(`waiting for ${step.nodeId} to stop ${step.resourceId}`);
    }
    case "fence": {
      if (step.onlyIfUnconfirmed && !isUnconfirmed(plan, sourceOfStep(step, plan) ?? "")) {
        return done("source confirmed its resources offline");
      }
      const state = seen.instance?.state;
      if (state === undefined || state === "stopped" || state === "terminated") {
        return done(`instance ${step.instanceId} is ${state ?? "gone"}`, { fenced: true });
      }
      if (elapsed > STEP_LIMITS.fenceTimeoutMs) {
        return fail(`instance ${step.instanceId} is still ${state}: fencing not confirmed, the volume is not moved`);
      }
      // StopInstances is refused on a terminating instance: it is on its way to `terminated`.
      if (state === "shutting-down") return wait(`instance ${step.instanceId} is ${state}`);
      if (state === "stopping") {
        const due =
          plan.attempts < STEP_LIMITS.maxStopRequests && elapsed >= plan.attempts * STEP_LIMITS.forceStopEveryMs;
        if (!due) return wait(`instance ${step.instanceId} is stopping`);
        return act(
          { kind: "stop-instance", instanceId: step.instanceId },
          `instance ${step.instanceId} is still stopping: StopInstances with Force (request ${plan.attempts + 1} of at most ${STEP_LIMITS.maxStopRequests})`,
        );
      }
      if (plan.attempts >= STEP_LIMITS.maxStopRequests) return wait(`instance ${step.instanceId} is ${state}`);
      return act({ kind: "stop-instance", instanceId: step.instanceId }, `stopping ${step.instanceId} (force)`);
    }
    case "detach-volume": {
      if (!seen.volume) return fail(`volume ${step.volumeId} does not exist`);
      const mine = seen.volume.attachments.find((a) => a.instanceId === step.instanceId && a.state !== "detached");
      // Attached anywhere else is for the attach step to judge: this step only frees the source.
      if (!mine) return done(`volume ${step.volumeId} is detached from ${step.instanceId}`);
      if (elapsed > STEP_LIMITS.detachTimeoutMs) {
        return fail(`volume ${step.volumeId} is still ${mine.state} on ${step.instanceId}`);
      }
      // Force only from an instance this plan saw stopped: a forced detach under a running OS corrupts the disk.
      const force = isFenced(plan, step.instanceId) && elapsed > STEP_LIMITS.detachForceAfterMs;
      if (mine.state === "detaching" || mine.state === "busy") {
        if (force && plan.attempts < STEP_LIMITS.maxDetachRequests) {
          return act(
            { kind: "detach-volume", volumeId: step.volumeId, instanceId: step.instanceId, force: true },
            `detach stuck ${Math.round(elapsed / 1000)}s on fenced ${step.instanceId}: forcing`,
          );
        }
        if (
          mine.state === "busy" &&
          group.fencing === "stop-instance" &&
          !isFenced(plan, step.instanceId) &&
          elapsed > STEP_LIMITS.detachForceAfterMs
        ) {
          // A source that confirmed its stop is not fenced, yet its OS still uses the volume (`busy`: a stop that
          // lied, a mount held in another mount namespace). Waiting for the holder may take for ever; a forced
          // detach under a running OS corrupts the disk. Fence it, then the detach goes on (forced only once
          // fenced). A detach stuck `detaching` is EC2's trouble, not the node's: it only waits (an AWS failure is
          // not a node failure).
          return {
            kind: "fence-first",
            reason: `volume ${step.volumeId} still ${mine.state} on ${step.instanceId} after ${Math.round(elapsed / 1000)}s although its source confirmed its stop: fencing ${step.instanceId} first`,
          };
        }
        return wait(`volume ${step.volumeId} is ${mine.state}`);
      }
      return act(
        { kind: "detach-volume", volumeId: step.volumeId, instanceId: step.instanceId, force },
        `detaching ${step.volumeId} from ${step.instanceId}`,
      );
    }
    case "attach-volume": {
      if (!seen.volume) return fail(`volume ${step.volumeId} does not exist`);
      if (!seen.instance) return fail(`target instance ${step.instanceId} does not exist`);
      if (seen.volume.availabilityZone !== seen.instance.availabilityZone) {
        return fail(`volume ${step.volumeId} and instance ${step.instanceId} are in different zones`);
      }
      const live = seen.volume.attachments.filter((a) => a.state !== "detached");
      const onTarget = live.find((a) => a.instanceId === step.instanceId);
      if (onTarget?.state === "attached") return done(`volume ${step.volumeId} attached to ${step.instanceId}`);
      if (elapsed > STEP_LIMITS.attachTimeoutMs) {
        return fail(
          `volume ${step.volumeId} is not attached to ${step.instanceId} after ${STEP_LIMITS.attachTimeoutMs / 1000}s`,
        );
      }
      if (onTarget) return wait(`volume ${step.volumeId} is ${onTarget.state} on ${step.instanceId}`);
      const elsewhere = live.find((a) => a.instanceId !== step.instanceId);
      if (elsewhere?.state === "detaching")
        return wait(`volume ${step.volumeId} is still detaching from ${elsewhere.instanceId}`);
      // A source this plan's detach step already saw the volume leave: a describe may show an older state
      // than the one the detach step saw (EC2 is eventually consistent). Wait, bounded by the attach timeout.
      const freed = plan.steps.some(
        (s, i) =>
          i < plan.stepIndex &&
          s.kind === "detach-volume" &&
          s.volumeId === step.volumeId &&
          s.instanceId === elsewhere?.instanceId,
      );
      if (elsewhere && freed)
        return wait(
          `volume ${step.volumeId} still shows attached to ${elsewhere.instanceId}, which the detach step saw detached: waiting for DescribeVolumes to catch up`,
        );
      if (elsewhere)
        return fail(`volume ${step.volumeId} is attached to ${elsewhere.instanceId}, not the source of this move`);
      return act(
        { kind: "attach-volume", volumeId: step.volumeId, instanceId: step.instanceId, device: step.device },
        `attaching ${step.volumeId} to ${step.instanceId} at ${step.device}`,
      );
    }
    case "await-online": {
      const reported = seen.liveness === undefined ? undefined : ownValue(seen.liveness.resources, step.resourceId);
      // Received after the target was told to start it: at the start of its run (`onlineAskedAt`), or of the step.
      const fresh =
        seen.liveness !== undefined && seen.liveness.receivedAt > (plan.onlineAskedAt ?? plan.stepStartedAt);
      if (fresh && reported === "online") return done(`${step.nodeId} reports ${step.resourceId} online`);
      if (fresh && reported === "failed") return fail(`${step.nodeId} reports ${step.resourceId} failed`);
      if (elapsed > pendingTimeout(group, step.resourceId)) {
        return fail(`${step.resourceId} did not come online on ${step.nodeId} within its pending timeout`);
      }
      return wait(`waiting for ${step.nodeId} to start ${step.resourceId}`);
    }
    case "associate-address": {
      if (!seen.address) return fail(`address ${step.allocationId} does not exist`);
      if (seen.address.instanceId === step.instanceId) return done(`${seen.address.publicIp} is on ${step.instanceId}`);
      if (elapsed > STEP_LIMITS.associateTimeoutMs)
        return fail(`address ${step.allocationId} did not move to ${step.instanceId}`);
      if (plan.attempts > 0 && elapsed < STEP_LIMITS.associateSettleMs)
        return wait("waiting for DescribeAddresses to show the association");
      return act(
        { kind: "associate-address", allocationId: step.allocationId, instanceId: step.instanceId },
        `associating ${seen.address.publicIp} with ${step.instanceId}`,
      );
    }
    case "upsert-record": {
      const address =
        step.address ?? (step.target === "public-ip" ? seen.instance?.publicIp : seen.instance?.privateIp);
      if (!address) return fail(`target has no ${step.target} for ${step.name}`);
      const matches =
        seen.record?.values.length === 1 && seen.record.values[0] === address && seen.record.ttl === step.ttl;
      if (matches && (plan.pendingChangeId === undefined || seen.changeStatus === "INSYNC")) {
        return done(`${step.name} -> ${address}`);
      }
      if (matches && elapsed > STEP_LIMITS.dnsSyncTimeoutMs) {
        return done(`${step.name} -> ${address} (change not INSYNC after ${STEP_LIMITS.dnsSyncTimeoutMs / 1000}s)`);
      }
      if (matches || (plan.pendingChangeId !== undefined && seen.changeStatus === "PENDING")) {
        return wait(`waiting for the change of ${step.name} to be INSYNC`);
      }
      return act(
        { kind: "upsert-record", hostedZoneId: step.hostedZoneId, name: step.name, address, ttl: step.ttl },
        `pointing ${step.name} at ${address}`,
      );
    }
  }
}

/**
 * Whether a live source's report confirms that it stopped the resource for this move, and how (null: it
 * does not). Only a report received after the step started counts, and of it only:
 * - `offline` made under the move: the agent says it obeys an answer of the plan's epoch or later for the
 *   group (`epochs`). A report made before the agent learned of the move (during a local restart, or
 *   delayed in transit) carries a lower epoch, or none (an older agent), and confirms nothing.
 * - `fenced`, whatever the epoch: the agent lost its lease, stopped the resource and verified it, and will
 *   not start it again until an answer assigns it the group under an epoch higher than any it has seen,
 *   which a move away from it never does. This is how a source that gets no answers (a one-way partition)
 *   still confirms its stop.
 * Anything else confirms nothing: a resource not reported is unknown (an agent that has just restarted has
 * not looked yet), and `failed` may be a stop that failed, with the resource still running.
 */
function stopConfirmation(
  liveness: NodeReport | undefined,
  resourceId: string,
  groupId: string,
  plan: Plan,
): string | null {
  if (liveness === undefined || liveness.receivedAt <= plan.stepStartedAt) return null;
  const reported = ownValue(liveness.resources, resourceId);
  if (reported === "fenced") return `reports ${resourceId} fenced (stopped on losing its lease)`;
  const obeyed = ownValue(liveness.epochs, groupId);
  if (reported === "offline" && obeyed !== undefined && obeyed >= plan.epoch) {
    return `reports ${resourceId} offline under epoch ${obeyed}`;
  }
  return null;
}

function pendingTimeout(group: GroupDefinition, resourceId: string): number {
  return group.resources.find((r) => r.id === resourceId)?.pendingTimeoutMs ?? DEFAULTS.pendingTimeoutMs;
}
