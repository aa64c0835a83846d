import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../../lib/core/definition/index.js";
import { changed, changedAll, problemsOf } from "./fixture.js";

function endpointOf(document: unknown): string {
  const result = parseDefinition(document);
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.definition.endpoint;
}

describe("endpoint", () => {
  it("is a function URL by default", () => {
    // Prepare and Act
    const endpoint = endpointOf(changed(["endpoint"], undefined));
    // Assess
    expect(endpoint).toBe("function-url");
  });

  it("is the HTTP API when the definition says http-api", () => {
    // Prepare and Act
    const endpoint = endpointOf(changed(["endpoint"], "http-api"));
    // Assess
    expect(endpoint).toBe("http-api");
  });

  it("is the HTTP API by default in a region AWS lists without function URLs, and as written when named", () => {
    // Prepare: eu-central-2 (Zurich) is one of them; the nodes' zones follow the region.
    const zurich: [readonly (string | number)[], unknown][] = [
      [["region"], "eu-central-2"],
      [["nodes", 0, "availabilityZone"], "eu-central-2a"],
      [["nodes", 1, "availabilityZone"], "eu-central-2a"],
    ];
    // Act
    const byDefault = endpointOf(changedAll(zurich));
    const named = endpointOf(changedAll([...zurich, [["endpoint"], "function-url"]]));
    // Assess
    expect(byDefault).toBe("http-api");
    expect(named).toBe("function-url");
  });

  it.each([["rest-api"], ["HTTP-API"], [true], [{ kind: "http-api" }]])(
    "refuses %j, naming the field and the kinds accepted",
    (value) => {
      // Prepare and Act
      const problems = problemsOf(changed(["endpoint"], value));
      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]?.path).toBe("endpoint");
      expect(problems[0]?.message).toContain("a heartbeat endpoint kind: one of");
      expect(problems[0]?.message).toContain("function-url");
      expect(problems[0]?.message).toContain("http-api");
    },
  );
});
