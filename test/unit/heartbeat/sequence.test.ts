import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgeSequence, RETIRED_BOOTS_KEPT, type SequencePosition } from "../../../lib/core/heartbeat/sequence.js";

describe("judgeSequence", () => {
  it("takes the first heartbeat of a node as a new boot with nothing retired", () => {
    // Act
    const verdict = judgeSequence(undefined, { bootId: "a", seq: 9 });
    // Assess
    expect(verdict).toEqual({ kind: "new-boot", retiredBoots: [], retiredAt: [] });
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
    expect(verdict).toEqual({
      kind: "new-boot",
      retiredBoots: ["b", ...retired.slice(0, RETIRED_BOOTS_KEPT - 1)],
      retiredAt: [], // no time given: ages unknown
    });
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

describe("judgeSequence: boots left within the signature window", () => {
  // API Gateway refuses signatures more than 5 minutes old: a late message of a boot can arrive up to 5 minutes
  // after the boot was left. Every boot left within that window (6 min kept, a minute's margin for clock skew)
  // must still be refused, however many boots came since (an agent crash-looping).
  const MINUTE = 60_000;
  const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

  it("refuses a late message of a boot left 4 minutes ago, after 20 boots since (a crash loop)", () => {
    // Prepare: boot-0 runs, then 20 more boots, one every 12 s.
    let current: SequencePosition = { bootId: "boot-0", seq: 3, retiredBoots: [], retiredAt: [] };
    for (let i = 1; i <= 20; i++) {
      const verdict = judgeSequence(current, { bootId: `boot-${i}`, seq: 0 }, T0 + i * 12_000);
      if (verdict.kind !== "new-boot") throw new Error(verdict.kind);
      current = { bootId: `boot-${i}`, seq: 0, retiredBoots: verdict.retiredBoots, retiredAt: verdict.retiredAt };
    }
    // Act: a message boot-0 signed just before it died arrives 4 minutes after it was left.
    const verdict = judgeSequence(current, { bootId: "boot-0", seq: 4 }, T0 + 12_000 + 4 * MINUTE);
    // Assess
    expect(verdict).toEqual({ kind: "retired-boot" });
  });

  it("forgets a boot left more than 6 minutes ago beyond the 16 most recent", () => {
    const retiredBoots = Array.from({ length: 20 }, (_, i) => `old-${i}`);
    // old-0 .. old-19 left 1 s apart, the newest first, the last of them 7 minutes before the new boot.
    const retiredAt = retiredBoots.map((_, i) => T0 - i * 1_000);
    const verdict = judgeSequence(
      { bootId: "b", seq: 1, retiredBoots, retiredAt },
      { bootId: "c", seq: 0 },
      T0 + 7 * MINUTE,
    );
    expect(verdict).toMatchObject({ kind: "new-boot", retiredBoots: ["b", ...retiredBoots.slice(0, 15)] });
  });
});
