/**
 * Ordering of heartbeats from one node. Within one boot (`bootId`), `seq` must grow;
 * a new boot starts its own sequence. The boots a node has left are remembered, so
 * that a heartbeat of a previous boot that arrives late is refused instead of
 * overwriting the new boot's state.
 */

/** How many left boots a node's record remembers. API Gateway refuses signatures older
 * than 5 minutes, so a late message can only come from one of the last few boots. */
export const RETIRED_BOOTS_KEPT = 16;

export interface SequencePosition {
  readonly bootId: string;
  readonly seq: number;
  readonly retiredBoots: readonly string[];
}

export type SequenceVerdict =
  /** Same boot, higher seq: record it. */
  | { readonly kind: "next" }
  /** First heartbeat of the node, or of a new boot: record it and retire the old boot. */
  | { readonly kind: "new-boot"; readonly retiredBoots: readonly string[] }
  /** Same boot, seq not higher: a replay or a duplicate. */
  | { readonly kind: "duplicate"; readonly lastSeq: number }
  /** A boot the node has already left. */
  | { readonly kind: "retired-boot" };

export function judgeSequence(
  current: SequencePosition | undefined,
  incoming: { readonly bootId: string; readonly seq: number },
): SequenceVerdict {
  if (current === undefined) return { kind: "new-boot", retiredBoots: [] };
  if (incoming.bootId === current.bootId) {
    return incoming.seq > current.seq ? { kind: "next" } : { kind: "duplicate", lastSeq: current.seq };
  }
  if (current.retiredBoots.includes(incoming.bootId)) return { kind: "retired-boot" };
  return { kind: "new-boot", retiredBoots: [current.bootId, ...current.retiredBoots].slice(0, RETIRED_BOOTS_KEPT) };
}
