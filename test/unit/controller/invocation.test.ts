import { describe, expect, it } from "vitest";
import {
  afterPass,
  type AfterPassInput,
  END_MARGIN_MS,
  FIRST_PASS_ESTIMATE_MS,
  type InvocationTiming,
  lastPassStart,
  mayStartPass,
  NEXT_INVOCATION_MARGIN_MS,
  passFits,
} from "../../../lib/core/controller/invocation.js";

// When a controller invocation stops making passes. A pass must end before Lambda's timeout (killed mid-pass, it
// keeps the controller lease until the lease runs out), an open-ended invocation must not overlap the next scheduled
// one, and one asked for N passes makes N.

/** Started at 0, killed at 70 s (the function's timeout), one tick every 5 s, scheduled every minute. */
const timing: InvocationTiming = { startedAt: 0, deadline: 70_000, tickMs: 5_000, scheduleMs: 60_000 };
const OPEN = Infinity;

function after(input: Partial<AfterPassInput>): ReturnType<typeof afterPass> {
  return afterPass({
    timing,
    asked: OPEN,
    done: 1,
    passStartedAt: 0,
    now: 1_000,
    longestPassMs: 1_000,
    outcome: { failed: false, lookedOnly: false, inFlight: true },
    ...input,
  });
}

describe("whether a pass fits before the function's timeout", () => {
  it("needs the first-pass estimate plus the end margin left, to the millisecond", () => {
    // Prepare
    const need = FIRST_PASS_ESTIMATE_MS + END_MARGIN_MS;
    // Act / Assess
    expect(passFits(timing, timing.deadline - need, 0)).toBe(true);
    expect(passFits(timing, timing.deadline - need + 1, 0)).toBe(false);
  });

  it("needs twice the longest pass so far once that exceeds the estimate", () => {
    // Prepare: a 4 s pass; the next needs 8 s plus the margin
    const need = 2 * 4_000 + END_MARGIN_MS;
    // Act / Assess
    expect(passFits(timing, timing.deadline - need, 4_000)).toBe(true);
    expect(passFits(timing, timing.deadline - need + 1, 4_000)).toBe(false);
  });
});

describe("whether a further pass may start", () => {
  it("stops an open-ended invocation one tick plus the margin before the next scheduled one", () => {
    // Prepare
    const last = lastPassStart(timing);
    // Act / Assess
    expect(last).toBe(60_000 - 5_000 - NEXT_INVOCATION_MARGIN_MS);
    expect(mayStartPass(timing, OPEN, 3, last)).toBe(true);
    expect(mayStartPass(timing, OPEN, 3, last + 1)).toBe(false);
  });

  it("always lets the first pass start, and every pass an operator asked for", () => {
    // Act / Assess
    expect(mayStartPass(timing, OPEN, 0, 65_000)).toBe(true);
    expect(mayStartPass(timing, 5, 4, 65_000)).toBe(true);
  });
});

describe("after a pass", () => {
  it("ends an open-ended invocation whose pass did not only look and found no move in flight", () => {
    expect(after({ outcome: { failed: false, lookedOnly: false, inFlight: false } })).toEqual({
      next: false,
      why: "nothing-in-flight",
    });
  });

  it("waits for the next tick while a move is in flight, or when the pass only looked", () => {
    // Act / Assess: the pass took 1 s of the 5 s tick
    expect(after({ outcome: { failed: false, lookedOnly: false, inFlight: true } })).toEqual({
      next: true,
      waitMs: 4_000,
    });
    expect(after({ outcome: { failed: false, lookedOnly: true, inFlight: false } })).toEqual({
      next: true,
      waitMs: 4_000,
    });
  });

  it("starts the next pass at once after a pass longer than a tick", () => {
    expect(after({ passStartedAt: 10_000, now: 17_000, longestPassMs: 7_000 })).toEqual({ next: true, waitMs: 0 });
  });

  it("makes every pass an operator asked for, even with nothing in flight, and no more", () => {
    // Prepare
    const quiet = { failed: false, lookedOnly: false, inFlight: false } as const;
    // Act / Assess
    expect(after({ asked: 3, done: 2, outcome: quiet })).toEqual({ next: true, waitMs: 4_000 });
    expect(after({ asked: 3, done: 3, outcome: quiet })).toEqual({ next: false, why: "asked-made" });
  });

  it("tries a failed pass of an open-ended invocation again at the next tick, until its last pass start", () => {
    // Prepare
    const last = lastPassStart(timing);
    // Act / Assess
    expect(after({ outcome: { failed: true } })).toEqual({ next: true, waitMs: 4_000 });
    expect(after({ passStartedAt: last - 1_000, now: last, outcome: { failed: true } })).toMatchObject({
      next: true,
    });
    expect(after({ passStartedAt: last - 1_000, now: last + 1, outcome: { failed: true } })).toEqual({
      next: false,
      why: "failed",
    });
  });

  it("ends an invocation asked for passes on a failed pass", () => {
    expect(after({ asked: 3, done: 1, outcome: { failed: true } })).toEqual({ next: false, why: "failed" });
  });

  it("ends when the next pass, at the next tick, would not fit before the timeout", () => {
    // Prepare: the next tick at 62 s leaves 8 s, twice the 3 s longest pass plus the margin fits; 3.5 s does not
    const input = { asked: 10, passStartedAt: 57_000, now: 60_000 };
    // Act / Assess
    expect(after({ ...input, longestPassMs: 3_000 })).toEqual({ next: true, waitMs: 2_000 });
    expect(after({ ...input, longestPassMs: 3_500 })).toEqual({ next: false, why: "out-of-time" });
  });
});
