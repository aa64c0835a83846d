/** Problems as text for people, and the error that carries them. */
import type { DefinitionProblem } from "./types.js";

/**
 * A header line, then one line per problem:
 *
 *     examples/cluster.yaml: 2 problems in the cluster definition:
 *       examples/cluster.yaml:34 groups[0].resources[1].volume: "dta" is not an ebs-volume ...
 *       examples/cluster.yaml timing.leaseDuration: ...
 */
export function formatProblems(
  problems: readonly DefinitionProblem[],
  source?: string,
  subject = "the cluster definition",
): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const header = `${source === undefined ? "" : `${source}: `}${count} in ${subject}:`;
  const lines = problems.map((problem) => {
    const at = locate(source, problem.line);
    const where = [at, problem.path].filter((part) => part !== "").join(" ");
    return `  ${where === "" ? "" : `${where}: `}${problem.message}`;
  });
  return [header, ...lines].join("\n");
}

/** `file:12`, `file`, `line 12`, or nothing. */
function locate(source: string | undefined, line: number | undefined): string {
  if (line === undefined) return source ?? "";
  return source === undefined ? `line ${line}` : `${source}:${line}`;
}

/** Thrown by callers that cannot go on with an invalid definition; `problems` lists every one. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[], source?: string) {
    super(formatProblems(problems, source));
    this.problems = problems;
  }
}
