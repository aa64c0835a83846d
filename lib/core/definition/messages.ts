/** Helpers that word problem messages the same way everywhere. */

/** A received value as a message shows it: strings quoted, lists and mappings by kind. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    const quoted = JSON.stringify(value);
    return quoted.length > 80 ? `${quoted.slice(0, 76)}..."` : quoted;
  }
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return `a ${typeof value}`;
}

/** `"a", "b"` as `a, b`; the list of choices at the end of a message. */
export function choices(values: Iterable<string>): string {
  const list = [...values];
  return list.length === 0 ? "(none)" : list.join(", ");
}

/** The message for a value that is missing or does not have the expected form. */
export function expected(input: unknown, what: string): string {
  return input === undefined ? `missing; add ${what}.` : `${show(input)} is not ${what}.`;
}
