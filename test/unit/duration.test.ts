import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../lib/core/duration.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2_000],
    ["15m", 900_000],
    ["6h", 21_600_000],
    ["1d", 86_400_000],
    ["0s", 0],
  ])("reads %s as %d ms", (text, ms) => {
    // Prepare: the text is the case.
    // Act
    const parsed = parseDuration(text);
    // Assess
    expect(parsed).toBe(ms);
  });

  it.each([
    "",
    "2",
    "2 s",
    "1.5s",
    "-1s",
    "2S",
    "2sec",
    "s",
    " 2s",
    "2s ",
    "1w",
    "99999999999999999ms",
    "999999999999d",
  ])("rejects %j", (text) => {
    // Prepare: the text is the case.
    // Act
    const parsed = parseDuration(text);
    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [1_500, "1500ms"],
    [2_000, "2s"],
    [120_000, "2m"],
    [5_400_000, "90m"],
    [86_400_000, "1d"],
    [0, "0ms"],
  ])("formats %d ms as %s", (ms, text) => {
    // Prepare: the number is the case.
    // Act
    const formatted = formatDuration(ms);
    // Assess
    expect(formatted).toBe(text);
  });

  it("round-trips through parseDuration for whole milliseconds", () => {
    // Prepare
    const wholeMs = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    const roundTrips = fc.property(wholeMs, (ms) => parseDuration(formatDuration(ms)) === ms);
    // Act
    const run = () => fc.assert(roundTrips);
    // Assess
    expect(run).not.toThrow();
  });
});
