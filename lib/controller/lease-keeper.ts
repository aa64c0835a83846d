import type { ControllerLease } from "../core/controller/records.js";
import { controllerLeaseMs } from "../core/controller/timing.js";
import type { ControllerDependencies } from "./dependencies.js";

/** The controller lease as one pass holds it. */
export interface LeaseKeeper {
  /** True once this pass may act: it holds the lease with at least half its term left, taking or renewing it if needed. */
  ensure(): Promise<boolean>;
  /** Whether the pass holds the lease now (by the snapshot, or by its own write). */
  held(): boolean;
}

/**
 * The lease a pass acts under, taken only when the pass has something to do. The snapshot carries
 * the lease item, so a controller that holds it with more than half its term left writes nothing;
 * otherwise the first `ensure` takes or renews it with one conditional write.
 */
export function leaseKeeper(deps: ControllerDependencies, seen: ControllerLease | null, now: number): LeaseKeeper {
  const duration = controllerLeaseMs(deps.definition.timing);
  let current = seen?.holder === deps.holder && seen.expiresAt > now ? seen : null;
  let attempt: Promise<boolean> | undefined;
  return {
    ensure() {
      // Judged by the clock now, not the pass's start: a slow read must not let the pass act on a lease near its end.
      const at = deps.clock.now();
      if (current && current.expiresAt - at > duration / 2) return Promise.resolve(true);
      attempt ??= deps.store.acquireLease(deps.holder, at, duration).then((lease) => {
        current = lease;
        attempt = undefined; // a pass that outlives half the renewed term renews it again
        return lease !== null;
      });
      return attempt;
    },
    held: () => current !== null,
  };
}
