import { parseDefinition } from "../core/definition/parse.js";
import type { ClusterDefinition } from "../core/definition/types.js";

/**
 * Reads the cluster definition that the CDK construct compiled into the function's
 * bundle (esbuild `define`): code, not a table item or an environment variable that
 * a later write could change. It was validated at synth; it is validated again here
 * so that a corrupt bundle fails the cold start loudly instead of answering wrongly.
 */
export function loadEmbeddedDefinition(json: string | undefined): ClusterDefinition {
  if (json === undefined || json === "") {
    throw new Error(
      "No cluster definition is embedded in this function: deploy it with the FailoverCluster construct.",
    );
  }
  const result = parseDefinition(JSON.parse(json) as unknown);
  if (!result.ok) {
    const list = result.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    throw new Error(`The embedded cluster definition is invalid: ${list}`);
  }
  return result.definition;
}

/** An environment variable the deployment always sets. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`Environment variable ${name} is not set.`);
  return value;
}
