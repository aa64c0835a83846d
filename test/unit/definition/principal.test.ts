import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../../lib/core/definition/index.js";
import { changedAll, problemsOf } from "./fixture.js";

type Change = readonly [readonly (string | number)[], unknown];

const ROLE = "arn:aws:iam::123456789012:role/baton-node";
/** A second on-premise node, appended as nodes[3]. */
const office2 = (principal: string, extra: Record<string, unknown> = {}): Change => [
  ["nodes", 3],
  { id: "office-2", kind: "onprem", principal, address: "203.0.113.11", ...extra },
];

describe("node principals (issue 9)", () => {
  // One row per rule: a minimal break of the valid fixture (db-a and db-b on the EC2 role baton-node,
  // office-1 on its own role), the path that must be reported, and fragments of the message.
  it.each([
    [
      "an EC2 node without principal (the migration: every EC2 node now names its instance role)",
      [[["nodes", 0, "principal"], undefined]],
      "nodes[0].principal",
      ["missing", "instance profile"],
    ],
    [
      "an EC2 node whose principal is a user",
      [[["nodes", 0, "principal"], "arn:aws:iam::123456789012:user/baton-node"]],
      "nodes[0].principal",
      ["IAM role"],
    ],
    [
      "two on-premise nodes whose roles differ only by path",
      [office2("arn:aws:iam::123456789012:role/site/baton-node-office-1")],
      "nodes[3].principal",
      ["nodes[2].principal (office-1)", "path"],
    ],
    [
      "two on-premise nodes whose roles differ only by the case of the name",
      [office2("arn:aws:iam::123456789012:role/Baton-Node-Office-1")],
      "nodes[3].principal",
      ["nodes[2].principal (office-1)"],
    ],
    [
      "two on-premise nodes on one user, written with and without a path",
      [
        [["nodes", 2, "principal"], "arn:aws:iam::123456789012:user/office"],
        office2("arn:aws:iam::123456789012:user/site/office"),
      ],
      "nodes[3].principal",
      ["nodes[2].principal (office-1)", "user"],
    ],
    [
      "an on-premise node on the EC2 nodes' instance role (it would accept their sessions)",
      [[["nodes", 2, "principal"], "arn:aws:iam::123456789012:role/nodes/baton-node"]],
      "nodes[2].principal",
      ["nodes[0].principal (db-a)", "any session"],
    ],
    [
      "EC2 nodes sharing a role written with two paths",
      [[["nodes", 1, "principal"], "arn:aws:iam::123456789012:role/a/baton-node"]],
      "nodes[1].principal",
      ["nodes[0].principal (db-a)", "the same way"],
    ],
    [
      "a principalId that is not an IAM unique id",
      [[["nodes", 0, "principalId"], "baton-node"]],
      "nodes[0].principalId",
      ["AROA"],
    ],
    [
      "a user's unique id on a role principal",
      [[["nodes", 2, "principalId"], "AIDA3XFRBF23EXAMPLE1"]],
      "nodes[2].principalId",
      ["user's unique id", "get-role"],
    ],
    [
      "one unique id given to two roles",
      [
        [["nodes", 0, "principalId"], "AROA3XFRBF23EXAMPLE1"],
        [["nodes", 2, "principalId"], "AROA3XFRBF23EXAMPLE1"],
      ],
      "nodes[2].principalId",
      ["nodes[0].principalId (db-a)"],
    ],
    [
      "two unique ids for the one role EC2 nodes share",
      [
        [["nodes", 0, "principalId"], "AROA3XFRBF23EXAMPLE1"],
        [["nodes", 1, "principalId"], "AROA3XFRBF23EXAMPLE2"],
      ],
      "nodes[1].principalId",
      ["nodes[0].principalId (db-a)"],
    ],
  ] as const)("refuses %s", (_case, changes: readonly Change[], path, fragments) => {
    // Act
    const problems = problemsOf(changedAll(changes));
    // Assess
    const atPath = problems.filter((problem) => problem.path === path);
    expect(atPath.map((problem) => problem.path)).toEqual([path]);
    for (const fragment of fragments) expect(atPath[0]?.message).toContain(fragment);
  });

  it.each([
    ["EC2 nodes sharing one instance role (its sessions are told apart by instance id)", []],
    [
      "an EC2 role under a path, written the same way for both nodes",
      [
        [["nodes", 0, "principal"], "arn:aws:iam::123456789012:role/a/b/baton-node"],
        [["nodes", 1, "principal"], "arn:aws:iam::123456789012:role/a/b/baton-node"],
      ],
    ],
    [
      "pinned unique ids, the same for the shared role",
      [
        [["nodes", 0, "principalId"], "AROA3XFRBF23EXAMPLE1"],
        [["nodes", 1, "principalId"], "AROA3XFRBF23EXAMPLE1"],
        [["nodes", 2, "principalId"], "AROA3XFRBF23EXAMPLE2"],
      ],
    ],
    ["a second on-premise node on its own user", [office2("arn:aws:iam::123456789012:user/office-2")]],
  ] as const)("accepts %s", (_case, changes: readonly Change[]) => {
    // Act
    const result = parseDefinition(changedAll(changes));
    // Assess
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("keeps principal and principalId in the loaded definition", () => {
    // Act
    const result = parseDefinition(changedAll([[["nodes", 0, "principalId"], "AROA3XFRBF23EXAMPLE1"]]));
    // Assess
    expect(result.ok && result.definition.nodes[0]).toMatchObject({
      principal: ROLE,
      principalId: "AROA3XFRBF23EXAMPLE1",
    });
  });
});
