import { FORMATS } from "../core/definition/formats.js";
import { parseDefinition } from "../core/definition/parse.js";
import { parsePrincipal } from "../core/definition/principal.js";
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

/**
 * The definition with the unique ids the deployment pinned (`BATON_PRINCIPAL_IDS`: JSON `{ nodeId: "AROA…" }`,
 * the ids of node roles the CDK app creates, known only at deploy) set as those nodes' `principalId`. A node
 * whose definition already gives one keeps it. Anything malformed fails the cold start loudly, as a corrupt
 * definition does, rather than trusting less than the deployment asked for.
 */
export function pinPrincipalIds(definition: ClusterDefinition, json: string | undefined): ClusterDefinition {
  if (json === undefined || json === "") return definition;
  const pinned = JSON.parse(json) as unknown;
  if (typeof pinned !== "object" || pinned === null || Array.isArray(pinned)) {
    throw new Error("The pinned principal ids are not a JSON object of node ids and unique ids.");
  }
  const ids = new Map<string, unknown>(Object.entries(pinned));
  for (const [nodeId, id] of ids) {
    const node = definition.nodes.find((candidate) => candidate.id === nodeId);
    if (node === undefined) throw new Error(`A principal id is pinned for "${nodeId}", which is not a node.`);
    const expected = parsePrincipal(node.principal)?.type === "user" ? "AIDA" : "AROA";
    if (typeof id !== "string" || !FORMATS.principalId.test(id) || !id.startsWith(expected)) {
      throw new Error(`The principal id pinned for node "${nodeId}" is not ${FORMATS.principalId.describe}.`);
    }
  }
  return {
    ...definition,
    nodes: definition.nodes.map((node) => {
      const id = ids.get(node.id);
      return node.principalId === undefined && typeof id === "string" ? { ...node, principalId: id } : node;
    }),
  };
}

/** An environment variable the deployment always sets. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`Environment variable ${name} is not set.`);
  return value;
}
