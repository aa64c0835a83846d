/**
 * Known-bad changes the simulation must catch, as data: each is a literal search/replace in one source file,
 * applied at bundle time (test/sim/mutants-main.ts), never in the repository. The search text must occur in
 * the file, or the run fails loudly: when the code a mutant targets changes, adjust its `search` here.
 */
export interface Mutant {
  readonly name: string;
  /** Path from the repository root. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
  /** What the mutant breaks, for the report. */
  readonly breaks: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: "takeover-grace-0",
    file: "lib/core/controller/timing.ts",
    search: "return Math.max(2_000, Math.ceil(timing.leaseDurationMs / 5));",
    replace: "return 0;",
    breaks: "the controller takes a silent node's groups as soon as its lease ends, with no grace",
  },
  {
    name: "agent-deadline-lease-plus-margin",
    file: "lib/core/self-fencing.ts",
    search: "return timing.leaseDurationMs - agentMarginMs(timing);",
    replace: "return timing.leaseDurationMs + agentMarginMs(timing);",
    breaks: "a cut-off agent stops its resources after its lease has ended instead of before",
  },
  {
    name: "no-fence-before-forced-detach",
    file: "lib/core/controller/steps.ts",
    search: "const force = plan.fenced && elapsed > STEP_LIMITS.detachForceAfterMs;",
    replace: "const force = elapsed > STEP_LIMITS.detachForceAfterMs;",
    breaks: "a detach that hangs is forced although the source instance was never stopped",
  },
  {
    name: "silent-source-counts-as-confirmed",
    file: "lib/core/controller/steps.ts",
    search:
      "return done(`source ${step.nodeId} fell silent before confirming ${step.resourceId} offline`, {\n          sourceUnconfirmed: true,\n        });",
    replace: "return done(`source ${step.nodeId} fell silent before confirming ${step.resourceId} offline`);",
    breaks: "a source that falls silent during await-offline is taken as having stopped (no fence)",
  },
  {
    // Today's main: a replacement plan keeps the interrupted target as its source (and fences it); this drops
    // it. After the fix of issue 8 item 1.1 (inherit every unconfirmed source), point this at the inheritance.
    name: "replacement-plan-drops-sources",
    file: "lib/core/controller/group-decision.ts",
    search:
      "return failOver(ctx, record.plan.target, false, `target ${record.plan.target} went silent during the move`);",
    replace:
      'return start(ctx, "failover", null, false, chooseTarget(group, health, record.plan.target) ?? record.plan.target, "replaced", [...record.failovers, ctx.now]);',
    breaks: "a plan replacing an interrupted move neither waits for nor fences anyone who may still run the group",
  },
  {
    // Today's main: an overridden start that ends well after the stop is stopped again. After the agent's fix
    // of item 1.2 (a stop aborts a start under way), point this at the abort instead.
    name: "start-not-cancelled-on-self-fence",
    file: "lib/core/agent/state.ts",
    search: 'if (r.op?.kind === "stop") return { resource: { ...ended, stopAgain: true }, notices: [again] };',
    replace: 'if (r.op?.kind === "stop") return { resource: ended, notices: [] };',
    breaks: "a start that a self-fencing stop overrode comes up after the stop and is left running",
  },
  {
    // Today's main: await-offline accepts an offline report received after the step began. After item 1.4
    // (offline counts only at or above the plan's epoch), point this at the epoch comparison.
    name: "stale-offline-accepted",
    file: "lib/core/controller/steps.ts",
    search: 'if (seen.liveness && seen.liveness.receivedAt > plan.stepStartedAt && reported === "offline") {',
    replace: 'if (seen.liveness && reported === "offline") {',
    breaks: "an offline report from before the move confirms the move's stop",
  },
];
