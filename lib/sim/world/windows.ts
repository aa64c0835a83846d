/**
 * The AWS weather of the simulated world: the windows of trouble a schedule opens (shared by the EC2 and Route 53
 * fakes and the network), and the token buckets AWS throttles by.
 */

export interface Windows {
  throttleStorm: [number, number][];
  stickyStop: [number, number][];
  stickyDetach: [number, number][];
  lostAnswers: [number, number][];
}

export const inWindow = (windows: readonly [number, number][], t: number): boolean =>
  windows.some(([a, b]) => t >= a && t < b);

/** A token bucket (EC2 throttles per account and action category). */
export class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
