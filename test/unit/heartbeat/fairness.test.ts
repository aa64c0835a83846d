import { describe, expect, it } from "vitest";
import {
  nodeAllowance,
  takeHeartbeatToken,
  type NodeAllowance,
  type TokenBucket,
} from "../../../lib/core/heartbeat/fairness.js";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
/** The example's interval: 2 s. The allowance is 4 heartbeats per interval (one per 500 ms) and 10 at once. */
const INTERVAL = 2_000;

/** Sends one heartbeat at each time in `times` (in order) through one bucket; the times admitted. */
function run(times: readonly number[], allowance: NodeAllowance = nodeAllowance(INTERVAL)): number[] {
  let bucket: TokenBucket | undefined;
  const admitted: number[] = [];
  for (const at of times) {
    const decision = takeHeartbeatToken(bucket, at, allowance);
    bucket = decision.bucket;
    if (decision.admitted) admitted.push(at);
  }
  return admitted;
}

const every = (periodMs: number, forMs: number, from = T0): number[] =>
  Array.from({ length: Math.floor(forMs / periodMs) }, (_, i) => from + i * periodMs);

describe("per-node heartbeat allowance (token bucket)", () => {
  it("never refuses an agent that heartbeats once per interval, for a day", () => {
    // Prepare
    const times = every(INTERVAL, 86_400_000);
    // Act
    const admitted = run(times);
    // Assess
    expect(admitted).toHaveLength(43_200);
  });

  it("admits the bursts a well-behaved agent makes: 10 heartbeats at once (restarts, an interval change), then one per interval", () => {
    // Prepare: ten back to back (a crash-looping agent restarting, each boot's first heartbeat at once),
    // then the regular pace again.
    const times = [...Array.from({ length: 10 }, (_, i) => T0 + i), ...every(INTERVAL, 60_000, T0 + 9 + INTERVAL)];
    // Act
    const admitted = run(times);
    // Assess
    expect(admitted).toHaveLength(10 + 30);
  });

  it("admits a flooding node 10 at once plus 4 per interval: 100 heartbeats/s for 60 s records 129 of 6,000", () => {
    // Prepare: one every 10 ms at a 2 s interval.
    const times = every(10, 60_000);
    // Act
    const admitted = run(times);
    // Assess: burst 10 + 4 per 2 s x 60 s, less the one due at 60 s itself (the last is sent at 59.99 s) = 129.
    expect(times).toHaveLength(6_000);
    expect(admitted).toHaveLength(10 + 4 * 30 - 1);
  });

  it("scales with the interval: at 500 ms a node may send 4 per 500 ms", () => {
    // Prepare
    const times = every(10, 10_000);
    // Act
    const admitted = run(times, nodeAllowance(500));
    // Assess: burst 10 + 4 per 500 ms x 10 s, less the one due at 10 s = 89.
    expect(admitted).toHaveLength(10 + 4 * 20 - 1);
  });

  it("refills to 10 at most, however long the node was quiet", () => {
    // Prepare: quiet for an hour after its first heartbeat, then 20 back to back.
    const later = T0 + 3_600_000;
    const times = [T0, ...Array.from({ length: 20 }, (_, i) => later + i)];
    // Act
    const admitted = run(times);
    // Assess: the first, then 10 of the 20 (the 19 ms they span add less than one token).
    expect(admitted).toHaveLength(1 + 10);
  });

  it("tells a refused node when one heartbeat will be admitted again: 500 ms at a 2 s interval", () => {
    // Prepare: ten at once empty the bucket.
    let bucket: TokenBucket | undefined;
    for (let i = 0; i < 10; i++) bucket = takeHeartbeatToken(bucket, T0, nodeAllowance(INTERVAL)).bucket;
    // Act
    const refused = takeHeartbeatToken(bucket, T0, nodeAllowance(INTERVAL));
    const tooEarly = takeHeartbeatToken(refused.bucket, T0 + 499, nodeAllowance(INTERVAL));
    const onTime = takeHeartbeatToken(refused.bucket, T0 + 500, nodeAllowance(INTERVAL));
    // Assess
    expect(refused).toMatchObject({ admitted: false, retryAfterMs: 500 });
    expect(tooEarly.admitted).toBe(false);
    expect(onTime.admitted).toBe(true);
  });

  it("adds nothing when the clock goes back, and does not hold it against the node", () => {
    // Prepare: the bucket emptied at T0.
    let bucket: TokenBucket | undefined;
    for (let i = 0; i < 10; i++) bucket = takeHeartbeatToken(bucket, T0, nodeAllowance(INTERVAL)).bucket;
    // Act: a heartbeat stamped 10 s earlier (another host's clock), then one 500 ms after T0.
    const back = takeHeartbeatToken(bucket, T0 - 10_000, nodeAllowance(INTERVAL));
    const after = takeHeartbeatToken(back.bucket, T0 + 500, nodeAllowance(INTERVAL));
    // Assess
    expect(back.admitted).toBe(false);
    expect(back.bucket.seenAt).toBe(T0);
    expect(after.admitted).toBe(true);
  });
});
