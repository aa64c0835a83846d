/**
 * DynamoDB's JSON (`{"S": "a"}`, `{"N": "12"}`, `{"M": {...}}`, ...) as plain values, for the items of
 * the controller's snapshot, which `raw-query.ts` takes straight from the wire. It does what
 * `unmarshall` of @aws-sdk/util-dynamodb does for the types Baton writes, in about a third of the
 * CPU (bench/controller.ts): a pass converts 2,000 items, so its cost is the pass's cost. Numbers
 * become JavaScript numbers (Baton stores epoch milliseconds and counters, all exact in a double);
 * binary values stay base64 text; sets become arrays.
 */
export function fromAttributeValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const av = value as Record<string, unknown>;
  for (const type in av) {
    const inner = av[type];
    switch (type) {
      case "S":
      case "B":
        return inner;
      case "N":
        return Number(inner);
      case "BOOL":
        return inner === true;
      case "NULL":
        return null;
      case "M":
        return fromItem(inner);
      case "L":
        return Array.isArray(inner) ? inner.map(fromAttributeValue) : [];
      case "SS":
      case "BS":
        return Array.isArray(inner) ? [...(inner as unknown[])] : [];
      case "NS":
        return Array.isArray(inner) ? inner.map(Number) : [];
    }
  }
  return undefined;
}

/** An item (or a map attribute) of DynamoDB's JSON as a plain object. */
export function fromItem(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof value !== "object" || value === null) return out;
  const item = value as Record<string, unknown>;
  for (const name in item) {
    const value = fromAttributeValue(item[name]);
    // A key named __proto__ is data, never the object's prototype.
    if (name === "__proto__")
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}
