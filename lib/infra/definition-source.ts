import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { DefinitionError, loadDefinitionText, parseDefinition } from "../core/definition/index.js";
import type { ClusterDefinition } from "../core/definition/types.js";

/**
 * A validated cluster definition, ready to build infrastructure from.
 *
 * Every factory validates the input and throws `DefinitionError` listing every problem
 * (with its path and, for text, its line) when there is any, so a `FailoverCluster` is
 * never built from a definition the controller would reject.
 */
export class ClusterDefinitionSource {
  /**
   * Reads and validates a YAML (or JSON) definition file.
   * @throws DefinitionError when the file cannot be read or the definition is invalid; the path is its source.
   */
  static fromFile(path: string): ClusterDefinitionSource {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new DefinitionError([{ path: "", message: `the file cannot be read (${reason}); check the path.` }], path);
    }
    return ClusterDefinitionSource.fromYaml(text, path);
  }

  /**
   * Validates definition text (YAML 1.2, so JSON too).
   * @param sourceName names the text in error messages, such as a file path.
   * @throws DefinitionError when the definition is invalid.
   */
  static fromYaml(text: string, sourceName?: string): ClusterDefinitionSource {
    const result = loadDefinitionText(text);
    if (!result.ok) throw new DefinitionError(result.problems, sourceName);
    return new ClusterDefinitionSource(result.definition, parseYaml(text));
  }

  /**
   * Validates a definition already parsed into plain data (the shape of the YAML file).
   * @throws DefinitionError when the definition is invalid.
   */
  static fromObject(document: unknown): ClusterDefinitionSource {
    const result = parseDefinition(document);
    if (!result.ok) throw new DefinitionError(result.problems);
    return new ClusterDefinitionSource(result.definition, document);
  }

  /** The resolved definition: defaults applied, durations in milliseconds. */
  readonly definition: ClusterDefinition;
  /**
   * The validated input document as plain JSON data (what the YAML file says, before
   * defaults). This is what gets embedded in the Lambda code.
   */
  readonly document: unknown;

  private constructor(definition: ClusterDefinition, document: unknown) {
    this.definition = definition;
    // A JSON round trip keeps only what survives embedding (no undefined, no class instances).
    this.document = JSON.parse(JSON.stringify(document)) as unknown;
  }
}
