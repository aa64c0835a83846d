/**
 * A small seeded pseudo-random generator (mulberry32), so that a schedule replays exactly from its seed.
 * `fork(label)` gives an independent stream per component, so that removing one fault while shrinking
 * does not shift every other component's draws.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** An independent stream named by `label`. */
  fork(label: string): Prng {
    return new Prng(mix(this.state, label));
  }
}

/** A 32-bit hash of a number and a label (FNV-1a over both). */
export function mix(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** A version 4 UUID drawn from `rng` (an agent's bootId). */
export function uuidFrom(rng: Prng): string {
  const hex = (n: number): string => Array.from({ length: n }, () => "0123456789abcdef"[rng.int(0, 15)]).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}
