import { describe, expect, it } from "vitest";
import {
  groupFenceStartAt,
  isGroupFenced,
  renewLease,
  selfFenceDeadlineAt,
  type Lease,
} from "../../../lib/core/agent/lease.js";
import { TIMING } from "./fixture.js";

// With a 10 s lease: margin max(250 ms, 10 s / 20) = 500 ms, so the deadline is 9.5 s after the send.

describe("the agent's lease", () => {
  it("counts from the send of the acknowledged heartbeat, not from the answer's arrival", () => {
    // Prepare: sent at 1 s; the answer arrives late, at 7 s.
    const sentAt = 1_000;
    // Act
    const lease = renewLease(undefined, sentAt, TIMING);
    // Assess: the deadline is 1 s + 9.5 s, whenever the answer came.
    expect(selfFenceDeadlineAt(lease)).toBe(10_500);
  });

  it("starts a group's stop its stop budget before the deadline", () => {
    // Prepare: three resources of 1 s each.
    const lease: Lease = { ackedSentAt: 1_000, timing: TIMING };
    // Act
    const start = groupFenceStartAt(lease, [1_000, 1_000, 1_000]);
    // Assess
    expect(start).toBe(10_500 - 3_000);
    expect(isGroupFenced(lease, [1_000, 1_000, 1_000], start - 1)).toBe(false);
    expect(isGroupFenced(lease, [1_000, 1_000, 1_000], start)).toBe(true);
  });

  it("is not moved back by the acknowledgement of an older send", () => {
    // Prepare
    const lease = renewLease(undefined, 5_000, TIMING);
    // Act
    const after = renewLease(lease, 3_000, TIMING);
    // Assess
    expect(after.ackedSentAt).toBe(5_000);
  });

  it("takes the timing of the newest acknowledgement", () => {
    // Prepare
    const lease = renewLease(undefined, 0, TIMING);
    // Act
    const after = renewLease(lease, 2_000, { leaseDurationMs: 20_000, heartbeatIntervalMs: 4_000 });
    // Assess: 2 s + 20 s - 1 s margin.
    expect(selfFenceDeadlineAt(after)).toBe(21_000);
  });

  it("without any acknowledgement, every group counts as fenced", () => {
    // Act
    const fenced = isGroupFenced(undefined, [1_000], 0);
    // Assess
    expect(fenced).toBe(true);
  });
});
