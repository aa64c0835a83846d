/** The cross-field rules, run on whatever parts of the definition are valid on their own. */
import type { Salvage } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";
import { checkAlarms } from "./alarms.js";
import { checkCapacity } from "./capacity.js";
import { checkIdentity } from "./identity.js";
import { checkPlacement } from "./placement.js";
import { checkReferences } from "./references.js";
import { checkStopBudget } from "./stop-budget.js";
import { checkTiming } from "./timing.js";

export function checkRules(definition: Salvage): DefinitionProblem[] {
  return [
    ...checkTiming(definition),
    ...checkCapacity(definition),
    ...checkIdentity(definition),
    ...checkReferences(definition),
    ...checkPlacement(definition),
    ...checkStopBudget(definition),
    ...checkAlarms(definition),
  ];
}
