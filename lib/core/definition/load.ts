/**
 * `loadDefinitionText`: YAML text to a resolved definition, or every problem with the
 * line it is on. Takes text, never a path: reading files is the caller's business.
 */
import { parseDefinition } from "./parse.js";
import { loadYamlText } from "./yaml-text.js";
import type { DefinitionResult } from "./types.js";

/** Parses `text` as YAML and validates it with `parseDefinition`; with the line of each problem (`yaml-text.ts`). */
export function loadDefinitionText(text: string): DefinitionResult {
  const result = loadYamlText(text, "the text is empty; write the cluster definition in it.", (data) => {
    const parsed = parseDefinition(data);
    return parsed.ok ? { ok: true, value: parsed.definition } : parsed;
  });
  return result.ok ? { ok: true, definition: result.value } : result;
}
