/** A readable record of one schedule: what the faults did and what the code under test did, by virtual time. */
export interface TraceLine {
  readonly at: number;
  readonly text: string;
}

export class Trace {
  readonly lines: TraceLine[] = [];

  constructor(
    private readonly clock: () => number,
    private readonly start: number,
  ) {}

  add(text: string): void {
    this.lines.push({ at: this.clock(), text });
  }

  /** "+12.345s text" lines, relative to the schedule's start. */
  format(lines: readonly TraceLine[] = this.lines): string[] {
    return lines.map((l) => `${formatT(l.at - this.start).padStart(9)}  ${l.text}`);
  }
}

export function formatT(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}
