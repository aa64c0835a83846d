import { setTimeout as sleep } from "node:timers/promises";
import type { ControllerEvent } from "../core/controller/events.js";
import type { ControllerResult } from "../handlers/controller.js";

export type Controller = (
  event: unknown,
  context: { awsRequestId: string; getRemainingTimeInMillis(): number },
) => Promise<ControllerResult>;

/** Lambda's context for one invocation: the function's 70 s timeout (lib/infra/controller-function.ts) from now. */
export function invocationContext(awsRequestId: string): { awsRequestId: string; getRemainingTimeInMillis(): number } {
  const deadline = Date.now() + 70_000;
  return { awsRequestId, getRemainingTimeInMillis: () => deadline - Date.now() };
}

/** One pass and when it ran (wall clock, ms): its decisions were made between the two times. */
export interface PassRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result: ControllerResult | undefined;
  readonly error: string | undefined;
}

export interface TimedEvent<E extends ControllerEvent = ControllerEvent> {
  readonly event: E;
  /** The pass that reported it. */
  readonly pass: PassRecord;
}

export type EventOf<T extends ControllerEvent["type"]> = Extract<ControllerEvent, { type: T }>;

export interface ControllerLoop {
  readonly passes: readonly PassRecord[];
  /** Every event of every pass so far, in order. */
  events(): TimedEvent[];
  /** The first event of `type` (about `groupId`, when given) from pass index `afterPass` on; fails after `timeoutMs`. */
  waitForEvent<T extends ControllerEvent["type"]>(
    type: T,
    options?: { groupId?: string; afterPass?: number; timeoutMs?: number },
  ): Promise<TimedEvent<EventOf<T>>>;
  /** Passes that threw or answered an error: a healthy run has none. */
  failures(): PassRecord[];
  stop(): Promise<void>;
}

/**
 * The controller as the schedule runs it: `{"passes": 1}` through the real handler, one pass every
 * `tickMs` (from the start of one to the start of the next), never two at once, until stopped.
 */
export function startControllerLoop(
  controller: Controller,
  tickMs: number,
  /** The first pass waits for this (settled either way) or the stop, whichever comes first. */
  firstPassAfter: Promise<unknown> = Promise.resolve(),
): ControllerLoop {
  const passes: PassRecord[] = [];
  let stopped = false;
  let count = 0;
  let stop!: () => void;
  const stopping = new Promise<void>((resolve) => (stop = resolve));
  const loop = (async () => {
    await Promise.race([firstPassAfter.catch(() => undefined), stopping]);
    while (!stopped) {
      const startedAt = Date.now();
      let result: ControllerResult | undefined;
      let error: string | undefined;
      try {
        result = await controller({ passes: 1 }, invocationContext(`agent-it-${++count}`));
        if ("error" in result) error = result.error;
      } catch (thrown) {
        error = thrown instanceof Error ? thrown.message : String(thrown);
      }
      passes.push({ startedAt, endedAt: Date.now(), result, error });
      await sleep(Math.max(0, tickMs - (Date.now() - startedAt)));
    }
  })();
  const events = (from = 0): TimedEvent[] =>
    passes
      .slice(from)
      .flatMap((pass) =>
        pass.result !== undefined && "events" in pass.result
          ? pass.result.events.map((event) => ({ event, pass }))
          : [],
      );
  return {
    passes,
    events: () => events(),
    async waitForEvent<T extends ControllerEvent["type"]>(
      type: T,
      { groupId, afterPass = 0, timeoutMs = 20_000 }: { groupId?: string; afterPass?: number; timeoutMs?: number } = {},
    ) {
      const deadline = Date.now() + timeoutMs;
      const match = (timed: TimedEvent): timed is TimedEvent<EventOf<T>> =>
        timed.event.type === type &&
        (groupId === undefined || ("groupId" in timed.event && timed.event.groupId === groupId));
      for (;;) {
        const found = events(afterPass).find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = events(afterPass).map(
            (t) => `${t.event.type}${"reason" in t.event ? ` (${t.event.reason})` : ""}`,
          );
          throw new Error(`no such controller event within ${timeoutMs} ms; saw: ${seen.join(", ") || "none"}`);
        }
        await sleep(50);
      }
    },
    failures: () => passes.filter((pass) => pass.error !== undefined),
    async stop() {
      stopped = true;
      stop();
      await loop;
    },
  };
}
