/** Zod issues as definition problems. */
import type * as z from "zod";
import { formatPath } from "./path.js";
import type { DefinitionProblem } from "./types.js";

/**
 * One problem per issue, except that an unknown-keys issue becomes one problem per key,
 * pathed to the key itself so that it points at the right line. (The schema words the
 * unknown-keys message as the list of allowed keys; see `strict` in schema.ts.)
 */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({
          path: formatPath([...path, key]),
          message: `unknown key ${JSON.stringify(key)}; ${issue.message}`,
        });
      }
    } else {
      problems.push({ path: formatPath(path), message: issue.message });
    }
  }
  return problems;
}
