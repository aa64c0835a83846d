import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgeSequence, RETIRED_BOOTS_KEPT, type SequencePosition } from "../../../lib/core/heartbeat/sequence.js";

describe("judgeSequence", () => {
  it("takes the first heartbeat of a node as a new boot with nothing retired", () => {
    // Act
    const verdict = judgeSequence(undefined, { bootId: "a", seq: 9 });
    // Assess
    expect(verdict).toEqual({ kind: "new-boot", retiredBoots: [] });
  });

  it("orders heartbeats of one boot by seq", () => {
    // Prepare
    const current = { bootId: "a", seq: 5, retiredBoots: [] };
    // Act
    const verdicts = [4, 5, 6].map((seq) => judgeSequence(current, { bootId: "a", seq }).kind);
    // Assess
    expect(verdicts).toEqual(["duplicate", "duplicate", "next"]);
  });

  it("retires the previous boot on a new one, keeping the most recent boots only", () => {
    // Prepare
    const retired = Array.from({ length: RETIRED_BOOTS_KEPT }, (_, i) => `old-${i}`);
    // Act
    const verdict = judgeSequence({ bootId: "b", seq: 100, retiredBoots: retired }, { bootId: "c", seq: 0 });
    // Assess
    expect(verdict).toEqual({ kind: "new-boot", retiredBoots: ["b", ...retired.slice(0, RETIRED_BOOTS_KEPT - 1)] });
  });

  it("refuses a boot the node has left", () => {
    // Act
    const verdict = judgeSequence({ bootId: "b", seq: 0, retiredBoots: ["a"] }, { bootId: "a", seq: 99 });
    // Assess
    expect(verdict).toEqual({ kind: "retired-boot" });
  });

  it("never accepts a heartbeat older than one already accepted, whatever order they arrive in", () => {
    // A node boots up to 6 times, sending seqs 0..n in each boot; the network delivers every
    // message (some twice) in any order. Model the table with judgeSequence and check that
    // the accepted messages are ordered: boots in the order they first won, seqs rising within one.
    const message = fc.record({ boot: fc.integer({ min: 0, max: 5 }), seq: fc.integer({ min: 0, max: 8 }) });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 60 }), (deliveries) => {
        let current: SequencePosition | undefined;
        const accepted: { boot: number; seq: number }[] = [];
        for (const m of deliveries) {
          const verdict = judgeSequence(current, { bootId: `boot-${m.boot}`, seq: m.seq });
          if (verdict.kind === "next") current = { ...current!, seq: m.seq };
          if (verdict.kind === "new-boot")
            current = { bootId: `boot-${m.boot}`, seq: m.seq, retiredBoots: verdict.retiredBoots };
          if (verdict.kind === "next" || verdict.kind === "new-boot") accepted.push(m);
        }
        const disorder: string[] = [];
        const bootsSeen: number[] = [];
        accepted.forEach((m, i) => {
          const previous = accepted[i - 1];
          if (previous?.boot === m.boot && m.seq <= previous.seq)
            disorder.push(`boot ${m.boot}: seq ${m.seq} after ${previous.seq}`);
          if (previous?.boot !== m.boot) {
            if (bootsSeen.includes(m.boot)) disorder.push(`boot ${m.boot} accepted again after a later boot`);
            bootsSeen.push(m.boot);
          }
        });
        expect(disorder).toEqual([]);
      }),
    );
  });
});
