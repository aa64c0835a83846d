import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadDefinitionText, parseDefinition } from "../../../lib/core/definition/index.js";
import { validDocument } from "./fixture.js";

describe("never throws", () => {
  it("parseDefinition answers for anything", () => {
    // Prepare
    const inputs = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
    });
    const answers = fc.property(inputs, (input) => typeof parseDefinition(input).ok === "boolean");
    // Act
    const run = () => fc.assert(answers);
    // Assess
    expect(run).not.toThrow();
  });

  it("parseDefinition answers for the valid document with any one value replaced", () => {
    // Prepare
    const keys = ["cluster", "region", "timing", "notifications", "nodes", "groups"] as const;
    const answers = fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
      const document = validDocument() as Record<string, unknown>;
      document[key] = value;
      const result = parseDefinition(document);
      return result.ok || result.problems.length > 0;
    });
    // Act
    const run = () => fc.assert(answers);
    // Assess
    expect(run).not.toThrow();
  });

  it("loadDefinitionText answers for any string", () => {
    // Prepare
    const texts = fc.oneof(fc.string(), fc.string({ unit: "binary" }));
    const answers = fc.property(texts, (text) => {
      const result = loadDefinitionText(text);
      return result.ok || result.problems.length > 0;
    });
    // Act
    const run = () => fc.assert(answers);
    // Assess
    expect(run).not.toThrow();
  });

  it("rejects a document that is not a mapping without throwing", () => {
    // Prepare and Act
    const result = parseDefinition([1, 2, 3]);
    // Assess
    expect(result).toMatchObject({ ok: false, problems: [{ path: "" }] });
  });
});
