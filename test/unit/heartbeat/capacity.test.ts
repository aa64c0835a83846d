import { describe, expect, it } from "vitest";
import { heartbeatsPerSecond, stageThrottle } from "../../../lib/core/heartbeat/capacity.js";

// rate = ceil(4 x nodes / interval) + 250 requests/s; burst = 2 x rate (docs/deployment.md).
describe("the heartbeat stage's throttle, from the cluster's load", () => {
  it.each([
    // nodes, interval ms, heartbeats/s, rate, burst
    [3, 2_000, 1.5, 6 + 250, 2 * 256],
    [1, 60_000, 1 / 60, 1 + 250, 2 * 251],
    [100, 2_000, 50, 200 + 250, 2 * 450],
    [200, 500, 400, 1_600 + 250, 2 * 1_850],
    [1_000, 2_000, 500, 2_000 + 250, 2 * 2_250],
  ])("%i nodes every %i ms: %f heartbeats/s, stage rate %i/s, burst %i", (nodes, interval, load, rate, burst) => {
    // Act
    const throttle = stageThrottle(nodes, interval);
    // Assess
    expect(heartbeatsPerSecond(nodes, interval)).toBeCloseTo(load, 9);
    expect(throttle).toEqual({ rateLimit: rate, burstLimit: burst });
  });

  it("stays under the account's HTTP API limits (10,000 requests/s, burst 5,000) at the largest load the definition accepts", () => {
    // Act: 500 heartbeats/s, the definition's ceiling.
    const throttle = stageThrottle(1_000, 2_000);
    // Assess
    expect(throttle.rateLimit).toBeLessThanOrEqual(10_000);
    expect(throttle.burstLimit).toBeLessThanOrEqual(5_000);
  });

  it("leaves room for one caller flooding at 250 requests/s beside the nodes' own load, even for a tiny cluster", () => {
    // Act
    const throttle = stageThrottle(3, 2_000);
    // Assess: 1.5 heartbeats/s of the nodes + 250 of one flooding caller fit.
    expect(throttle.rateLimit).toBeGreaterThanOrEqual(1.5 + 250);
  });
});
