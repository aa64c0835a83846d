/**
 * YAML text to checked data, each problem with the line it is on. The cluster definition and the
 * agent's configuration are both read with it. Takes text, never a path: reading files is the
 * caller's business.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { parsePath } from "./path.js";
import type { DefinitionProblem } from "./types.js";

/** What a YAML source's data checks to: the value, or every problem with its path. */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly DefinitionProblem[] };

/**
 * Parses `text` as YAML 1.2 (so JSON too), checks the data with `check`, and sets `line` on each
 * problem. YAML errors (bad syntax, duplicate keys, several documents) are reported alone: the
 * document they leave behind is not what the user meant. `empty` is the message for empty text.
 * Never throws.
 */
export function loadYamlText<T>(text: string, empty: string, check: (data: unknown) => Checked<T>): Checked<T> {
  try {
    const lines = new LineCounter();
    const document = parseDocument(String(text), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (document.errors.length > 0) {
      return {
        ok: false,
        problems: document.errors.map((error) => ({
          path: "",
          message: `YAML: ${firstLine(error.message)}`,
          line: lines.linePos(error.pos[0]).line,
        })),
      };
    }
    if (document.contents === null) return { ok: false, problems: [{ path: "", message: empty, line: 1 }] };
    const result = check(document.toJS({ maxAliasCount: 100 }));
    if (result.ok) return result;
    const problems = result.problems.map((problem) => withLine(problem, document, lines));
    return { ok: false, problems: sortByLine(problems) };
  } catch (error) {
    const reason = error instanceof Error ? firstLine(error.message) : "unknown error";
    return { ok: false, problems: [{ path: "", message: `the text could not be read as YAML (${reason}).` }] };
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function withLine(problem: DefinitionProblem, document: Document, lines: LineCounter): DefinitionProblem {
  const offset = locate(document, problem.path);
  return offset === undefined ? problem : { ...problem, line: lines.linePos(offset).line };
}

/**
 * Offset of what `path` names: the key when the path ends at a mapping key (so an unknown
 * key points at itself), the item when it ends in a list; for a missing key, the nearest
 * mapping that exists, where the key would have to be added.
 */
function locate(document: Document, path: string): number | undefined {
  const segments = parsePath(path);
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  if (segments === undefined) return offset;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
      if (node === undefined) return offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return typeof node === "object" && node !== null && "range" in node ? (node as Node).range?.[0] : undefined;
}

function sortByLine(problems: readonly DefinitionProblem[]): DefinitionProblem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || a.order - b.order)
    .map(({ problem }) => problem);
}
