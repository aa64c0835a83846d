/**
 * Ordering of heartbeats from one node. Within one boot (`bootId`), `seq` must grow;
 * a new boot starts its own sequence. The boots a node has left are remembered, so
 * that a heartbeat of a previous boot that arrives late is refused instead of
 * overwriting the new boot's state.
 */

/** How many left boots a node's record remembers at least, whatever their age. */
export const RETIRED_BOOTS_KEPT = 16;
/**
 * How long a left boot is remembered, whatever the number of boots since: API Gateway refuses signatures more than
 * 5 minutes old, so a late message of a boot arrives at most 5 minutes after the boot was left (a minute's margin
 * for the clocks of the signer and of AWS). An agent crash-looping faster than 16 boots in that window is covered.
 */
const RETIRED_BOOT_WINDOW_MS = 6 * 60_000;
/** The most left boots remembered (the node item's size): a boot every 0.36 s for 6 minutes. */
const RETIRED_BOOTS_MAX = 1_000;

export interface SequencePosition {
  readonly bootId: string;
  readonly seq: number;
  /** Boots the node has left, newest first. */
  readonly retiredBoots: readonly string[];
  /**
   * When each of `retiredBoots` was left (the receipt time of the next boot's first heartbeat), same order;
   * shorter or absent for boots recorded by a Baton that did not record it (their age is unknown).
   */
  readonly retiredAt?: readonly number[];
}

export type SequenceVerdict =
  /** Same boot, higher seq: record it. */
  | { readonly kind: "next" }
  /** First heartbeat of the node, or of a new boot: record it and retire the old boot. */
  | { readonly kind: "new-boot"; readonly retiredBoots: readonly string[]; readonly retiredAt: readonly number[] }
  /** Same boot, seq not higher: a replay or a duplicate. */
  | { readonly kind: "duplicate"; readonly lastSeq: number }
  /** A boot the node has already left. */
  | { readonly kind: "retired-boot" };

/**
 * Judges a heartbeat against the node's position. `now`: the heartbeat function's receipt time, the moment the
 * current boot is left if this is a new one (absent: ages unknown, only the 16 most recent boots are kept). A left boot is kept while among the 16 most recent, or left less than
 * 6 minutes ago (at most 1 000); boots recorded before `retiredAt` existed have no known age.
 */
export function judgeSequence(
  current: SequencePosition | undefined,
  incoming: { readonly bootId: string; readonly seq: number },
  now?: number,
): SequenceVerdict {
  if (current === undefined) return { kind: "new-boot", retiredBoots: [], retiredAt: [] };
  if (incoming.bootId === current.bootId) {
    return incoming.seq > current.seq ? { kind: "next" } : { kind: "duplicate", lastSeq: current.seq };
  }
  if (current.retiredBoots.includes(incoming.bootId)) return { kind: "retired-boot" };
  const left = [
    { bootId: current.bootId, at: now },
    ...current.retiredBoots.map((bootId, i) => ({ bootId, at: current.retiredAt?.[i] })),
  ];
  const kept = left
    .filter(
      (b, i) =>
        i < RETIRED_BOOTS_KEPT || (b.at !== undefined && now !== undefined && now - b.at < RETIRED_BOOT_WINDOW_MS),
    )
    .slice(0, RETIRED_BOOTS_MAX);
  // `retiredAt` is aligned with the first boots: it ends at the first boot of unknown age.
  const unknown = kept.findIndex((b) => b.at === undefined);
  const dated = unknown === -1 ? kept : kept.slice(0, unknown);
  return {
    kind: "new-boot",
    retiredBoots: kept.map((b) => b.bootId),
    retiredAt: dated.flatMap((b) => (b.at === undefined ? [] : [b.at])),
  };
}
