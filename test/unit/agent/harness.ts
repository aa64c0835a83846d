/**
 * Drives the agent's pure core (answers, plan, settle) step by step, without the loop: a test says
 * when answers arrive, when time passes, and how each action ends.
 */
import { parseAnswer } from "../../../lib/core/agent/answer-check.js";
import {
  acceptAnswer,
  answerContext,
  beginLeaving,
  initialState,
  settle,
  type AgentState,
  type Notice,
} from "../../../lib/core/agent/state.js";
import { type Action, type AgentDecision, decide } from "../../../lib/core/agent/supervisor.js";
import type { ResourceState } from "../../../lib/core/heartbeat/message.js";
import { BOOT } from "./fakes.js";
import { answerBody, TIMING, type WireGroup } from "./fixture.js";

export class Harness {
  state: AgentState = initialState("db-a");
  now = 0;
  private seq = 0;
  /** Actions issued and not yet ended, oldest first. */
  pending: Action[] = [];
  /** Every action issued, as "start postgres", "stop postgres (fence)", "check postgres". */
  readonly issued: string[] = [];
  readonly notices: Notice[] = [];
  report: Readonly<Record<string, ResourceState>> = {};
  last?: AgentDecision;
  private lastGroups: readonly WireGroup[] = [];

  /** A valid answer to a heartbeat sent at `sentAt` (default: now) arrives now. */
  answer(groups: readonly WireGroup[], sentAt = this.now, timing = TIMING): this {
    this.seq++;
    this.lastGroups = groups;
    const sent = { nodeId: "db-a", bootId: BOOT, seq: this.seq };
    const parsed = parseAnswer(answerBody(sent, groups, timing), answerContext(this.state, BOOT, this.seq));
    if (!parsed.ok) throw new Error(`invalid answer in a test: ${JSON.stringify(parsed.problems)}`);
    this.state = acceptAnswer(this.state, parsed.answer, sentAt);
    return this.decide();
  }

  /** At `now`, the last answer again, to a heartbeat sent then: the lease renewed, nothing else changed. */
  heartbeat(now = this.now): this {
    this.now = now;
    return this.answer(this.lastGroups);
  }

  at(now: number): this {
    this.now = now;
    return this.decide();
  }

  leave(): this {
    this.state = beginLeaving(this.state, this.now);
    return this.decide();
  }

  decide(): this {
    const decided = decide(this.state, this.now);
    this.last = decided;
    this.state = decided.state;
    this.report = decided.report;
    this.notices.push(...decided.notices);
    for (const action of decided.actions) {
      this.pending.push(action);
      this.issued.push(
        `${action.kind} ${action.resourceId}${action.kind === "stop" && action.fence ? " (fence)" : ""}`,
      );
    }
    return this;
  }

  /** Ends the oldest pending action on `resourceId` (of `kind`, if given). */
  end(resourceId: string, ok = true, kind?: Action["kind"]): this {
    const index = this.pending.findIndex((a) => a.resourceId === resourceId && (kind === undefined || a.kind === kind));
    const action = this.pending[index];
    if (action === undefined) throw new Error(`no pending action on ${resourceId}: ${JSON.stringify(this.pending)}`);
    this.pending.splice(index, 1);
    const settled = settle(
      this.state,
      { kind: action.kind, resourceId, token: action.token, ok, error: ok ? undefined : "it broke" },
      this.now,
    );
    this.state = settled.state;
    this.notices.push(...settled.notices);
    return this.decide();
  }

  /** Ends every pending start and stop well, one after another, until none is left. */
  settleAll(): this {
    for (let guard = 0; guard < 100; guard++) {
      const next = this.pending.find((a) => a.kind !== "check");
      if (next === undefined) return this;
      this.end(next.resourceId, true, next.kind);
    }
    throw new Error("actions never settled");
  }

  /** Issued actions since the mark. */
  since(mark: number): string[] {
    return this.issued.slice(mark);
  }

  messages(): string[] {
    return this.notices.map((n) => n.message);
  }
}
