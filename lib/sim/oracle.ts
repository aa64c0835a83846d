/**
 * The oracle: judges a run only from the fakes' own records (driver start/stop effects, EC2's real states,
 * the table's write history), never by asking the code under test. Safety:
 * - at no instant do two nodes run resources of one group (a resource counts as running from the moment
 *   its start begins until its stop completes: a start in progress counts);
 * - a volume is never attached to an instance while another instance may still write it (that instance is
 *   not stopped and its mount of the volume may run), and never force-detached from such an instance;
 * - a group's epoch never goes back in the table's write history;
 * - no new plan (a raised epoch) is written while the table's guard item says frozen.
 */
import type { Trace } from "./trace.js";

export interface Violation {
  readonly at: number;
  readonly kind: "two-owners" | "volume" | "epoch" | "frozen" | "liveness" | "restart-moved";
  readonly text: string;
}

export class Oracle {
  readonly violations: Violation[] = [];
  /** group -> node -> resources counted as running there. */
  private readonly running = new Map<string, Map<string, Set<string>>>();
  private readonly epochs = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    private readonly trace: Trace,
  ) {}

  violate(kind: Violation["kind"], text: string): void {
    this.violations.push({ at: this.clock(), kind, text });
    this.trace.add(`VIOLATION (${kind}): ${text}`);
  }

  /** A driver's record: `resource` of `group` is (conservatively) running on `node`, or no longer. */
  setRunning(group: string, node: string, resource: string, running: boolean): void {
    let byNode = this.running.get(group);
    if (!byNode) this.running.set(group, (byNode = new Map<string, Set<string>>()));
    let set = byNode.get(node);
    if (!set) byNode.set(node, (set = new Set<string>()));
    if (running === set.has(resource)) return;
    if (running) set.add(resource);
    else set.delete(resource);
    if (!running) return;
    for (const [other, resources] of byNode) {
      if (other !== node && resources.size > 0) {
        this.violate(
          "two-owners",
          `group ${group} runs on ${node} (${[...set].join(", ")}) and on ${other} (${[...resources].join(", ")}) at once`,
        );
      }
    }
  }

  runningOn(group: string, node: string): ReadonlySet<string> {
    return this.running.get(group)?.get(node) ?? new Set();
  }

  /** Every group write, in commit order, with the guard item as the table held it at that instant. */
  groupWritten(groupId: string, epoch: number, guardFrozen: boolean): void {
    const previous = this.epochs.get(groupId) ?? 0;
    if (epoch < previous) this.violate("epoch", `group ${groupId} written with epoch ${epoch} after ${previous}`);
    if (epoch > previous && guardFrozen) {
      this.violate("frozen", `group ${groupId} moved (epoch ${previous} -> ${epoch}) while the guard is frozen`);
    }
    this.epochs.set(groupId, Math.max(previous, epoch));
  }
}
