/**
 * The simulated cluster: examples/cluster.yaml, loaded by the real loader, and the timing variants a
 * "deploy" fault switches to (each also loaded by the real loader, so each is one the loader accepts).
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

let cached: ClusterDefinition[] | undefined;

export function simDefinitions(): ClusterDefinition[] {
  if (cached) return cached;
  const text = readFileSync(EXAMPLE, "utf8");
  if (!TIMING.test(text)) throw new Error(`${EXAMPLE}: its timing block changed; update test/sim/definitions.ts`);
  cached = TIMING_VARIANTS.map(([hb, lease, tick]) => {
    const variant = text.replace(TIMING, `timing:\n  heartbeatInterval: ${hb}\n  leaseDuration: ${lease}\n  controllerTick: ${tick}\n`);
    const result = loadDefinitionText(variant);
    if (!result.ok) throw new Error(`timing variant ${hb}/${lease}/${tick} does not load: ${JSON.stringify(result.problems)}`);
    return result.definition;
  });
  return cached;
}
