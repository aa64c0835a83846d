import { describe, expect, it } from "vitest";
import { FORMATS, RESERVED_NAMES } from "../../../lib/core/definition/formats.js";
import { loadDefinitionText, parseDefinition } from "../../../lib/core/definition/index.js";
import { changed, changedAll, problemsOf } from "./fixture.js";

/** Every name a plain object answers to without holding it: what the reserved list must cover. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

describe("reserved names", () => {
  it("covers every property of Object.prototype that has the form of an id", () => {
    // Prepare
    const idLike = PROTOTYPE_NAMES.filter((name) => /^[A-Za-z0-9_-]{1,64}$/.test(name));
    // Assess
    expect(idLike.length).toBeGreaterThanOrEqual(12);
    expect(idLike.filter((name) => !RESERVED_NAMES.has(name))).toEqual([]);
    expect(idLike.filter((name) => FORMATS.id.test(name))).toEqual([]);
  });

  it("refuses a resource named constructor with a message that says why and what to do", () => {
    // Prepare: the third resource of the first group; nothing depends on it.
    const document = changed(["groups", 0, "resources", 2, "id"], "constructor");
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([
      {
        path: "groups[0].resources[2].id",
        message:
          '"constructor" is reserved: every JavaScript object has a property of that name, which a lookup by id could find instead; pick another name.',
      },
    ]);
  });

  it.each(PROTOTYPE_NAMES.filter((name) => /^[A-Za-z0-9_-]{1,64}$/.test(name)))(
    "refuses %s as a node, group and resource id, and where it is named",
    (name) => {
      // Prepare: the node db-b renamed everywhere, the group and a resource renamed, and a dependency on it.
      const document = changedAll([
        [["nodes", 1, "id"], name],
        [
          ["groups", 0, "preferredOwners"],
          ["db-a", name],
        ],
        [
          ["groups", 1, "preferredOwners"],
          ["office-1", name],
        ],
        [["groups", 1, "id"], name],
        [["groups", 0, "resources", 1, "id"], name],
        [["groups", 0, "resources", 2, "dependsOn"], [name]],
      ]);
      // Act
      const problems = problemsOf(document);
      // Assess
      expect(problems.map((problem) => problem.path).sort()).toEqual(
        [
          "nodes[1].id",
          "groups[0].preferredOwners[1]",
          "groups[1].preferredOwners[1]",
          "groups[1].id",
          "groups[0].resources[1].id",
          "groups[0].resources[2].dependsOn[0]",
        ].sort(),
      );
      for (const problem of problems) {
        expect(problem.message).toContain(`${JSON.stringify(name)} is reserved`);
        expect(problem.message).toContain("pick another name");
      }
    },
  );

  it("refuses a mount whose volume is named by a reserved name", () => {
    // Prepare
    const document = changedAll([
      [["groups", 0, "resources", 0, "id"], "valueOf"],
      [["groups", 0, "resources", 1, "volume"], "valueOf"],
      [["groups", 0, "resources", 1, "dependsOn"], ["valueOf"]],
    ]);
    // Act
    const paths = problemsOf(document).map((problem) => problem.path);
    // Assess
    expect(paths.sort()).toEqual(
      ["groups[0].resources[0].id", "groups[0].resources[1].volume", "groups[0].resources[1].dependsOn[0]"].sort(),
    );
  });

  it("accepts names that only contain a reserved one, or differ in case", () => {
    // Prepare
    const document = changedAll([
      [["groups", 0, "resources", 2, "id"], "constructor-1"],
      [["groups", 1, "id"], "ToString"],
    ]);
    // Act
    const result = parseDefinition(document);
    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it("points at the line of a reserved id in YAML, and refuses __proto__ written as a key", () => {
    // Prepare
    const text = [
      "cluster: orders-db",
      "region: us-east-1",
      "nodes:",
      '  - { id: db-a, kind: ec2, instanceId: i-0a1b2c3d4e5f60001, availabilityZone: us-east-1a, principal: "arn:aws:iam::123456789012:role/baton-node" }',
      "groups:",
      "  - id: web",
      "    preferredOwners: [db-a]",
      "    resources:",
      "      - id: __proto__",
      "        type: systemd",
      "        unit: nginx.service",
      "      - id: api",
      "        type: systemd",
      "        unit: api.service",
      "        __proto__: { dependsOn: [x] }",
    ].join("\n");
    // Act
    const result = loadDefinitionText(text);
    // Assess
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map(({ path, line }) => ({ path, line }))).toEqual([
      { path: "groups[0].resources[0].id", line: 9 },
      { path: "groups[0].resources[1].__proto__", line: 15 },
    ]);
    expect(problems[0]?.message).toContain('"__proto__" is reserved');
    expect(problems[1]?.message).toContain('unknown key "__proto__"');
  });
});
