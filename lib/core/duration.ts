/**
 * Durations as users write them in the cluster definition: a whole number followed by
 * one unit, such as `500ms`, `2s`, `15m`, `6h` or `1d`. Everything else in Baton works
 * in milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

type Unit = keyof typeof UNIT_MS;

/** Largest first: `formatDuration` picks the first unit that divides exactly. */
const UNITS_LARGEST_FIRST: readonly Unit[] = ["d", "h", "m", "s", "ms"];

const DURATION = /^(\d{1,16})(ms|s|m|h|d)$/;

/** The accepted forms, for messages that reject a duration. */
export const DURATION_FORMS = "a whole number followed by ms, s, m, h or d, such as 500ms, 2s, 15m, 6h or 1d";

/** Milliseconds in `text`, or undefined when it is not a whole number and one unit (ms, s, m, h, d). */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== "string") return undefined;
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, amount, unit] = match;
  if (amount === undefined || unit === undefined) return undefined;
  const ms = Number(amount) * UNIT_MS[unit as Unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * `ms` in the largest unit that holds it exactly (`120000` gives `2m`, `1500` gives `1500ms`).
 * Values that are not whole, non-negative milliseconds are shown as `<value>ms`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) return `${ms}ms`;
  for (const unit of UNITS_LARGEST_FIRST) {
    const size = UNIT_MS[unit];
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
