/**
 * The simulated cluster: examples/cluster.yaml, plus a second on-premise node and a group with three
 * preferred owners (a move can then be interrupted and replaced towards a third node), loaded by the real
 * loader; and the timing variants a "deploy" fault switches to (each also loaded by the real loader, so each
 * is one the loader accepts).
 */
import { readFileSync } from "node:fs";
import { loadDefinitionText } from "../../lib/core/definition/index.js";
import type { ClusterDefinition } from "../../lib/core/definition/types.js";

const EXAMPLE = "examples/cluster.yaml";
const TIMING = /timing:\n {2}heartbeatInterval: 2s\n {2}leaseDuration: 10s\n {2}controllerTick: 2s\n/;

/** [heartbeatInterval, leaseDuration, controllerTick] of each variant; the first is the example's. */
export const TIMING_VARIANTS: readonly (readonly [string, string, string])[] = [
  ["2s", "10s", "2s"],
  ["1s", "8s", "2s"],
  ["2s", "20s", "2s"],
  ["2s", "15s", "3s"],
];

/** Appended to the example's nodes and groups. */
const EXTRA_NODE = `  - id: office-2
    kind: onprem
    principal: arn:aws:iam::123456789012:role/baton-node-office-2
    address: 203.0.113.11
`;
const EXTRA_GROUP = `
  - id: batch
    preferredOwners: [office-1, office-2, db-b]
    failback: { mode: immediate }
    resources:
      - { id: batch-svc, type: command, start: /opt/batch/start.sh, stop: /opt/batch/stop.sh, check: /opt/batch/check.sh }
`;
const NODES_END = /( {4}address: 203\.0\.113\.10\n)/;

let cached: ClusterDefinition[] | undefined;

export function simDefinitions(): ClusterDefinition[] {
  if (cached) return cached;
  const text = readFileSync(EXAMPLE, "utf8");
  if (!TIMING.test(text) || !NODES_END.test(text))
    throw new Error(
      `${EXAMPLE} changed where test/sim/definitions.ts edits it (timing, office-1's address): update it`,
    );
  const text2 = text.replace(NODES_END, `$1${EXTRA_NODE}`) + EXTRA_GROUP;
  cached = TIMING_VARIANTS.map(([hb, lease, tick]) => {
    const variant = text2.replace(
      TIMING,
      `timing:\n  heartbeatInterval: ${hb}\n  leaseDuration: ${lease}\n  controllerTick: ${tick}\n`,
    );
    const result = loadDefinitionText(variant);
    if (!result.ok)
      throw new Error(`timing variant ${hb}/${lease}/${tick} does not load: ${JSON.stringify(result.problems)}`);
    return result.definition;
  });
  return cached;
}
