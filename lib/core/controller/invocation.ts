/**
 * When a controller invocation stops making passes (lib/handlers/controller.ts runs the loop). An invocation asked
 * for N passes (`{"passes": N}`) makes N; a scheduled or woken one is open-ended: it makes a pass every tick while a
 * move is in flight, and ends after a pass that finds none, or before the next scheduled invocation would overlap
 * it. Either kind makes a pass only if it fits, with margin, in the time Lambda has left.
 */

/**
 * An open-ended invocation's last pass starts at least one tick plus this before the next scheduled invocation (one
 * schedule period after this one started): room for that pass and the lease release, so the passes of two
 * invocations do not overlap and the next one finds the controller lease released.
 */
export const NEXT_INVOCATION_MARGIN_MS = 2_000;
/**
 * A pass starts only when the function has left at least twice the longest pass of this invocation (this before the
 * first: a pass reads one partition and makes a few AWS calls), plus {@link END_MARGIN_MS}. Lambda kills the
 * function at its timeout, mid-pass and holding the controller lease, which the next invocation then waits out.
 */
export const FIRST_PASS_ESTIMATE_MS = 5_000;
/** Kept free after the last pass: the lease release, the metrics, the answer. */
export const END_MARGIN_MS = 2_000;

/** One invocation's times, by the function's own clock. */
export interface InvocationTiming {
  /** When the invocation started. */
  readonly startedAt: number;
  /** When Lambda kills the function (start + the remaining time it was given). */
  readonly deadline: number;
  /** The definition's controllerTickMs. */
  readonly tickMs: number;
  /** The period of the scheduled invocations. */
  readonly scheduleMs: number;
}

/** The latest start of a further pass of an open-ended invocation. */
export function lastPassStart(timing: Pick<InvocationTiming, "startedAt" | "scheduleMs" | "tickMs">): number {
  return timing.startedAt + timing.scheduleMs - timing.tickMs - NEXT_INVOCATION_MARGIN_MS;
}

/** Whether a pass starting at `at` ends, with margin, before the deadline (judged by the longest pass so far). */
export function passFits(timing: InvocationTiming, at: number, longestPassMs: number): boolean {
  return timing.deadline - at >= Math.max(FIRST_PASS_ESTIMATE_MS, 2 * longestPassMs) + END_MARGIN_MS;
}

/**
 * Whether a further pass may start at `at`: the first always (once it fits), the next ones of an open-ended
 * invocation until {@link lastPassStart}.
 */
export function mayStartPass(timing: InvocationTiming, asked: number, done: number, at: number): boolean {
  return done === 0 || asked !== Infinity || at <= lastPassStart(timing);
}

/** What the last pass found. */
export type PassOutcome =
  | { readonly failed: true }
  | {
      readonly failed: false;
      /** The pass only looked: it had work, and another controller held the lease. False when it took it or needed none. */
      readonly lookedOnly: boolean;
      /** A move in flight (a group's plan waits on something). */
      readonly inFlight: boolean;
    };

export interface AfterPassInput {
  readonly timing: InvocationTiming;
  /** Passes asked for; Infinity for a scheduled or woken invocation. */
  readonly asked: number;
  /** Passes made, the last one included. */
  readonly done: number;
  /** When the last pass started. */
  readonly passStartedAt: number;
  readonly now: number;
  readonly longestPassMs: number;
  readonly outcome: PassOutcome;
}

export type AfterPass =
  /** Wait this long (until the next tick), then start the next pass if {@link mayStartPass}. */
  | { readonly next: true; readonly waitMs: number }
  | {
      readonly next: false;
      /**
       * `failed`: the pass failed and the invocation ends on its error (one asked for passes, or an open-ended one
       * past its last pass start); `nothing-in-flight`: an open-ended invocation's pass did not only look, and no move is in flight;
       * `asked-made`: every pass asked for is made; `out-of-time`: the next pass would not fit before the deadline.
       */
      readonly why: "failed" | "nothing-in-flight" | "asked-made" | "out-of-time";
    };

/**
 * After a pass: stop, or wait for the next tick. A failed pass ends an invocation asked for passes (the caller sees
 * the error); an open-ended one is the only controller until the next, so it tries again at the next tick unless
 * its last pass start is past. A pass that only looked goes on at the next tick; so does one with a move in flight
 * (a step waiting for a node's report may also end on a timeout, which no heartbeat announces).
 */
export function afterPass(input: AfterPassInput): AfterPass {
  const { timing, asked, done, outcome, now } = input;
  const openEnded = asked === Infinity;
  if (outcome.failed) {
    if (!openEnded || now > lastPassStart(timing)) return { next: false, why: "failed" };
  } else if (openEnded && !outcome.lookedOnly && !outcome.inFlight) {
    return { next: false, why: "nothing-in-flight" };
  }
  if (done >= asked) return { next: false, why: "asked-made" };
  const waitMs = Math.max(0, timing.tickMs - (now - input.passStartedAt));
  if (!passFits(timing, now + waitMs, input.longestPassMs)) return { next: false, why: "out-of-time" };
  return { next: true, waitMs };
}
