/**
 * The exit codes of every `baton` command (docs/operations.md "Exit codes"). Scripts rely on them:
 * never add a meaning to an existing code.
 */
export const EXIT = {
  /** The command did what it was asked (a report was printed, an action completed). */
  done: 0,
  /** It could not: an AWS call failed, the cluster refused the action, a wait timed out. */
  failed: 1,
  /** The input was wrong (unknown option, missing argument, invalid definition, no such group or node): fix the command. */
  badInput: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
