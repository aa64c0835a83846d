import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromAttributeValue, fromItem } from "../../../lib/aws/attribute-json.js";

/** Attribute and map key names like Baton's (marshall itself cannot take keys such as "constructor"). */
const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9#_.-]{0,12}$/);

/** Values of the kinds Baton writes: strings, safe numbers, booleans, null, lists and maps of them. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer({ min: -1e15, max: 1e15 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(name, tie("node"), { maxKeys: 4 }),
  ),
})).node;

describe("fromItem", () => {
  it("reads DynamoDB JSON as unmarshall does, for every kind of value Baton writes", () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 6 }), (item) => {
        // Prepare: the wire form, as JSON.parse gives it
        const wire: unknown = JSON.parse(JSON.stringify(marshall(item, { convertEmptyValues: false })));
        // Act
        const read = fromItem(wire);
        // Assess
        expect(read).toEqual(unmarshall(marshall(item)));
      }),
    );
  });

  it("reads string and number sets as arrays and gives undefined for what is not an attribute value", () => {
    // Act
    const read = fromItem({ ss: { SS: ["a", "b"] }, ns: { NS: ["1", "2.5"] }, odd: { X: 1 }, bad: "text" });
    // Assess
    expect(read).toEqual({ ss: ["a", "b"], ns: [1, 2.5], odd: undefined, bad: undefined });
    expect(fromAttributeValue(null)).toBeUndefined();
  });

  it("keeps a key named __proto__ as data, never as the object's prototype", () => {
    // Act
    const read = fromItem(JSON.parse('{"__proto__": {"M": {"polluted": {"BOOL": true}}}}'));
    // Assess
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect((read as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(read)).toEqual(["__proto__"]);
  });
});
