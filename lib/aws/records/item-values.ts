import type { AttributeValue } from "@aws-sdk/client-dynamodb";

// The readers every item codec shares. The table is read defensively: an item with missing or mistyped attributes
// becomes the most cautious record its present attributes allow, never an exception that stops every pass.

/** An item read with fromItem (attribute-json.ts): plain values. */
export type Item = Record<string, unknown>;

export function num(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

export function str(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

export function isObject(value: unknown): value is Item {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A number attribute read straight from DynamoDB's JSON (`{ N: "12" }`); anything else is `fallback`. */
export function numberOf(value: AttributeValue | undefined, fallback: number): number {
  const parsed = value?.N === undefined ? NaN : Number(value.N);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/** A recorded lease or lease end that is not a positive number reads as not recorded (the definition's lease). */
export function positiveOrUndefined(value: number): number | undefined {
  return value > 0 ? value : undefined;
}
