/**
 * Plain-object dictionaries keyed by ids: the resource, group and node ids that travel in heartbeats,
 * answers and the table as JSON objects. A plain object answers to the names of `Object.prototype`
 * by itself (`constructor`, `toString`) and drops a `__proto__` key written into it. The definition
 * refuses those names as ids (`RESERVED_NAMES`, definition/formats.ts); these helpers keep any other
 * name from doing the same: a dictionary built here has no prototype, and a lookup reads own keys only.
 * Where a dictionary does not travel as JSON, use a `Map`.
 */

/** A new dictionary with no prototype: every key, `__proto__` included, is an ordinary key. */
export function dictionary<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const created = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) created[key] = value;
  return created;
}

/** The value `key` holds in `record` itself; undefined when it holds none (never an inherited property). */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
