/**
 * The simulated network between a node and AWS: a heartbeat's trip to the heartbeat function and its answer's
 * trip back, each a few milliseconds, slow (0.5..3 s) or lost in the windows a schedule opens.
 */
import { HeartbeatTransportError, type HeartbeatReply } from "../agent/edges.js";
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";
import { inWindow } from "./world/windows.js";

export interface NetworkWindows {
  /** Heartbeats from this node never reach AWS. */
  toAws: [number, number][];
  /** Answers to this node are lost. */
  fromAws: [number, number][];
  /** Heartbeats and answers take 0.5..3 s each way. */
  slow: [number, number][];
  /** Half the heartbeats or answers are lost. */
  lossy: [number, number][];
}

/** One node's end of the network. */
export interface NodeLink {
  readonly sched: Scheduler;
  readonly rng: Prng;
  readonly net: NetworkWindows;
  /** Whether the node is powered (read at each use). */
  powered(): boolean;
  trace(text: string): void;
  /** The heartbeat function as deployed now, called with the node's role. */
  invoke(body: string): Promise<HeartbeatReply>;
  /** Runs `fn` in the agent that sent the heartbeat, unless that agent is gone. */
  deliver(fn: () => void): void;
  /** An answer reached the agent. */
  answered(): void;
}

/** Carries one heartbeat there and its answer back; fails as the real transport does when none comes in time. */
export function carryHeartbeat(link: NodeLink, body: unknown, timeoutMs: number): Promise<HeartbeatReply> {
  const { sched, rng, net } = link;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      link.deliver(fn);
    };
    const sentAt = sched.now;
    const seq = (body as { seq?: number }).seq;
    sched.after(timeoutMs, () =>
      settle(() => reject(new HeartbeatTransportError(`no answer within ${Math.round(timeoutMs)} ms`))),
    );
    const leg = (): number => (inWindow(net.slow, sched.now) ? rng.int(500, 3000) : rng.int(5, 80));
    const lost = (windows: [number, number][]): boolean =>
      !link.powered() || inWindow(windows, sched.now) || (inWindow(net.lossy, sched.now) && rng.chance(0.5));
    if (lost(net.toAws)) {
      link.trace(`heartbeat ${seq} lost on the way`);
      return;
    }
    sched.after(leg(), () => {
      void link.invoke(JSON.stringify(body)).then((reply) => {
        if (lost(net.fromAws)) {
          link.trace(`answer to heartbeat ${seq} (HTTP ${reply.status}) lost on the way back`);
          return;
        }
        sched.after(leg(), () => {
          if (sched.now - sentAt > timeoutMs) return;
          settle(() => {
            link.answered();
            resolve(reply);
          });
        });
      });
    });
  });
}
