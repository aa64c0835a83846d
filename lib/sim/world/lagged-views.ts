/**
 * Describes that lag, as AWS's eventually consistent reads do: each state a fake enters is kept (the last 40 per
 * id), and a describe shows the one of up to 2 s ago.
 */
import type { Prng } from "../prng.js";
import type { Scheduler } from "../scheduler.js";

export class LaggedViews {
  /** Past views: id -> [(time, view)]. */
  private readonly history = new Map<string, { at: number; view: unknown }[]>();

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
  ) {}

  /** The state `id` is in from now on. */
  record(id: string, view: unknown): void {
    let h = this.history.get(id);
    if (!h) this.history.set(id, (h = []));
    h.push({ at: this.sched.now, view: Object.freeze(view) });
    if (h.length > 40) h.splice(0, h.length - 40);
  }

  /** The view as of up to 2 s ago (eventual consistency). */
  read<T>(id: string): T | undefined {
    const h = this.history.get(id);
    if (!h) return undefined;
    const asOf = this.sched.now - this.rng.int(0, 2000);
    let found = h[0];
    for (const entry of h) if (entry.at <= asOf) found = entry;
    return found?.view as T | undefined; // frozen views: the caller cannot change the past
  }
}
