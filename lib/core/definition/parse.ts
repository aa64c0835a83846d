/** `parseDefinition`: a plain object (as parsed from YAML or JSON) to a resolved definition, or every problem. */
import { problemsFromIssues } from "./issues.js";
import { resolveDefinition } from "./resolve.js";
import { checkRules } from "./rules/index.js";
import { salvage } from "./salvage.js";
import { ClusterSchema } from "./schema.js";
import type { DefinitionProblem, DefinitionResult } from "./types.js";

/**
 * Validates `input` and applies defaults. Reports every problem at once: the shape
 * problems from the schema, and the cross-field rules run on every part that is valid on
 * its own. Never throws.
 */
export function parseDefinition(input: unknown): DefinitionResult {
  try {
    const parsed = ClusterSchema.safeParse(input);
    const problems: DefinitionProblem[] = parsed.success ? [] : problemsFromIssues(parsed.error.issues);
    problems.push(...checkRules(salvage(input)));
    if (problems.length > 0) return { ok: false, problems };
    if (!parsed.success) return { ok: false, problems: [{ path: "", message: "the definition is not valid." }] };
    return { ok: true, definition: resolveDefinition(parsed.data) };
  } catch (error) {
    // Only a hostile input (a getter that throws, a proxy) gets here: YAML and JSON cannot.
    const reason = error instanceof Error ? error.message : "unknown error";
    return {
      ok: false,
      problems: [
        {
          path: "",
          message: `the definition could not be read (${reason}); give plain data as parsed from YAML or JSON.`,
        },
      ],
    };
  }
}
