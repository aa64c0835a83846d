import type { HeartbeatHandlerDependencies } from "../../handlers/heartbeat.js";
import type { SimTable } from "./table.js";

/**
 * The heartbeat function's wake-ups of the controller in the simulated world: peers read from the simulated table,
 * one claim per window as the real store's conditional write (`claimWake`), and the invoke handed to `wake`, which
 * the world sets once its controllers exist (a heartbeat before that wakes nothing).
 */
export function simulatedWake(
  table: SimTable,
  wake: (reason: unknown) => void,
): NonNullable<HeartbeatHandlerDependencies["wake"]> {
  let lastWake: number | undefined;
  return {
    store: {
      readPeers: (ids) =>
        Promise.resolve(
          new Map(
            ids.flatMap((id) => {
              const node = table.nodes.get(id);
              return node ? [[id, { receivedAt: node.receivedAt, leaseUntil: node.leaseUntil }] as const] : [];
            }),
          ),
        ),
      claimWake: (at, windowMs) => {
        if (lastWake !== undefined && lastWake > at - windowMs) return Promise.resolve(false);
        lastWake = at;
        return Promise.resolve(true);
      },
    },
    invoke: (reason) => {
      wake(reason);
      return Promise.resolve();
    },
  };
}
