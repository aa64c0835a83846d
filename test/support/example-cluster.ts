import { readFileSync } from "node:fs";
import { indexCluster, type ClusterIndex } from "../../lib/core/cluster-index.js";
import { loadDefinitionText } from "../../lib/core/definition/index.js";
import type { ClusterDefinition } from "../../lib/core/definition/types.js";

export const EXAMPLE_PATH = "examples/cluster.yaml";

/** examples/cluster.yaml, loaded by the real loader. */
export function exampleDefinition(): ClusterDefinition {
  const result = loadDefinitionText(readFileSync(EXAMPLE_PATH, "utf8"));
  if (!result.ok) throw new Error(`${EXAMPLE_PATH} does not load: ${JSON.stringify(result.problems)}`);
  return result.definition;
}

export function exampleIndex(): ClusterIndex {
  return indexCluster(exampleDefinition());
}

/** A definition written in a test, loaded by the real loader; a test's own typo fails loudly. */
export function definitionFrom(yaml: string): ClusterDefinition {
  const result = loadDefinitionText(yaml);
  if (!result.ok) throw new Error(`the test's definition does not load: ${JSON.stringify(result.problems)}`);
  return result.definition;
}
