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
  /**
   * Set while the simulation does not catch this mutant: why, and which tests do. Such a mutant is listed but
   * not run by default (`npm run sim:mutants -- --all` runs it), so the gap stays visible and CI stays honest.
   */
  readonly notYetCaught?: string;
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
    search: "const force = isFenced(plan, step.instanceId) && elapsed > STEP_LIMITS.detachForceAfterMs;",
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
    // A plan that replaces another (its target fell silent) or follows a failed one inherits the sources they
    // had not freed (issue 8 item 1.1); this forgets them.
    name: "replacement-plan-drops-sources",
    file: "lib/core/controller/plan-builder.ts",
    search: "for (const { nodeId, confirmable } of record.plan ? unfreedSources(record.plan) : []) {",
    replace: "for (const { nodeId, confirmable } of [] as PlanSource[]) {",
    breaks: "a plan replacing an interrupted move neither waits for nor fences anyone who may still run the group",
  },
  {
    // A stop names the start or stop under way in `aborts`, so the loop kills it and waits for it to end
    // before stopping (issue 8 item 1.2); this issues the stop without aborting anything.
    name: "start-not-cancelled-on-self-fence",
    file: "lib/core/agent/supervisor.ts",
    search: "const aborts = r.op === undefined ? r.aborted : [...r.aborted, r.op.token];",
    replace: "const aborts: number[] = [];",
    breaks: "a start that a self-fencing stop overrode comes up after the stop and is left running",
  },
  {
    // An offline report confirms a stop only under the move's epoch (issue 8 item 1.4); this takes any
    // offline report received after the step began, as before the fix. Caught with the second agent model
    // (a resource whose process exited reported offline until its local restart) and `crash-in-move`.
    name: "stale-offline-accepted",
    file: "lib/core/controller/steps.ts",
    search: 'if (reported === "offline" && obeyed !== undefined && obeyed >= plan.epoch) {',
    replace: 'if (reported === "offline") {',
    breaks: "an offline report from before the move confirms the move's stop",
  },
  {
    // On SIGUSR2 the last heartbeat must not say `leaving` (docs/agent.md, "Restarting the agent"): a restart is
    // handed over to the next boot, not failed over. This is the old SIGTERM restart again. Caught by the
    // restart-moved check (test/sim/restart-check.ts).
    name: "restart-says-leaving",
    file: "lib/agent/agent.ts",
    search: "...(allOffline && !this.restarting ? { leaving: true as const } : {}),",
    replace: "...(allOffline ? { leaving: true as const } : {}),",
    breaks: "a restart by SIGUSR2 is a leave: the node's groups fail over",
  },
  {
    // On SIGUSR2 the agent stops every resource as for a leave, and only then sends its last (not leaving)
    // heartbeat. A careless restart trusts systemd's control-group kill and the next boot instead: it reports
    // everything offline at once and exits, while mounts and systemd units run on.
    name: "restart-skips-stops",
    file: "lib/agent/agent.ts",
    search: 'this.restarting = mode === "restart";',
    replace: 'this.restarting = mode === "restart";\n    if (this.restarting) return void this.finish(true);',
    breaks: "on SIGUSR2 the agent reports every resource offline and exits without stopping them",
    notYetCaught:
      "in the simulated cluster everything that outlives the agent's control group (pg-mount, the postgres unit) is in a fenced group: a late boot's groups are fenced before they move, and the lying report is under the old epoch (the agent raises a group's epoch when its stops end), so it never confirms a move's stop; no unfenced group has a mount or a systemd unit. Caught by test/unit/agent/agent.test.ts (\"on a restart (SIGUSR2) stops every resource in reverse order\")",
  },
];
