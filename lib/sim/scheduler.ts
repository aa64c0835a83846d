/**
 * Virtual time: an event queue ordered by time (ties in insertion order). Nothing in the simulation uses
 * a real timer; every delay of a fake, every timer of an agent and every sleep of a controller is an event
 * here, and the promise chains an event sets off run to completion before the next event.
 */
interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

/** Microtask turns given between two events of one instant. */
const MICROTASK_TURNS = 64;

export class Scheduler {
  now: number;
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** Events run so far (for throughput figures). */
  events = 0;

  constructor(start: number) {
    this.now = start;
  }

  at(time: number, run: () => void): TimerHandle {
    const entry: Entry = { at: Math.max(time, this.now), seq: this.seq++, run, cancelled: false };
    this.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  after(ms: number, run: () => void): TimerHandle {
    return this.at(this.now + Math.max(0, ms), run);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** A promise that never settles: a process that died mid-call. */
  static never<T>(): Promise<T> {
    return new Promise<T>(() => undefined);
  }

  /** Runs events until the queue is empty, `until` is passed, or `stop()` says so. */
  async run(until: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      let top = this.heap[0];
      if (top === undefined) {
        // Nothing queued: let every pending promise chain finish (a macrotask turn drains them all).
        await new Promise<void>((resolve) => setImmediate(resolve));
        top = this.heap[0];
      }
      if (top === undefined || top.at > until || stop()) break;
      this.pop();
      if (top.cancelled) continue;
      this.now = top.at;
      this.events++;
      top.run();
      // Let the promise chains the event set off run before the next event: microtask turns, deep enough for
      // the chains of the code under test (a chain deeper than this goes on at the next event, as code that
      // takes a little time would). A macrotask turn per event would cost an event-loop iteration each.
      for (let i = 0; i < MICROTASK_TURNS; i++) await Promise.resolve();
    }
    if (!stop()) this.now = Math.max(this.now, until);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || last === undefined) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
