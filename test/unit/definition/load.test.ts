import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DefinitionError,
  formatProblems,
  loadDefinitionText,
  type DefinitionProblem,
} from "../../../lib/core/definition/index.js";

const EXAMPLE = readFileSync("examples/cluster.yaml", "utf8");

function problemsOf(text: string): readonly DefinitionProblem[] {
  const result = loadDefinitionText(text);
  return result.ok ? [] : result.problems;
}

/** The 1-based line of the first line of `text` that contains `fragment`. */
function lineOf(text: string, fragment: string): number {
  return text.split("\n").findIndex((line) => line.includes(fragment)) + 1;
}

describe("loadDefinitionText", () => {
  it("reports every unrelated problem at once, each with its line", () => {
    // Prepare: a type error in one group, a cycle in the other, a bad duration and an unknown key.
    const text = EXAMPLE.replace("leaseDuration: 10s", "leaseDuration: 10 seconds")
      .replace("ttl: 10, dependsOn: [postgres]", "ttl: ten, dependsOn: [postgres]")
      .replace("check: /opt/reports/check.sh }", "check: /opt/reports/check.sh, dependsOn: [reports-dns] }")
      .replace("  email: [ops@example.com]", "  email: [ops@example.com]\n  sms: [123]");
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map(({ path, line }) => ({ path, line }))).toEqual([
      { path: "timing.leaseDuration", line: lineOf(text, "leaseDuration:") },
      { path: "notifications.sms", line: lineOf(text, "sms:") },
      { path: "groups[0].resources[4].ttl", line: lineOf(text, "ttl: ten") },
      { path: "groups[1].resources[0].dependsOn", line: lineOf(text, "id: report-svc") },
    ]);
    expect(problems[3]?.message).toContain("report-svc -> reports-dns -> report-svc");
  });

  it("points a missing key at the mapping that lacks it", () => {
    // Prepare
    const text = EXAMPLE.replace("    instanceId: i-0a1b2c3d4e5f60002\n", "");
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([
      {
        path: "nodes[1].instanceId",
        message: expect.stringContaining("missing") as unknown,
        line: lineOf(text, "id: db-b"),
      },
    ]);
  });

  it("reports a duplicate key as a YAML problem with its line", () => {
    // Prepare
    const text = EXAMPLE.replace("region: us-east-1", "region: us-east-1\nregion: us-west-2");
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: lineOf(text, "region: us-west-2") });
    expect(problems[0]?.message).toMatch(/unique/);
  });

  it("reports a syntax error with its line", () => {
    // Prepare
    const text = "cluster: orders-db\nnodes: [db-a\nregion: us-east-1\n";
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((problem) => typeof problem.line === "number" && problem.line >= 1)).toBe(true);
  });

  it("reports an empty text as empty", () => {
    // Prepare and Act
    const problems = problemsOf("# nothing but a comment\n");
    // Assess
    expect(problems).toEqual([{ path: "", message: expect.stringContaining("empty") as unknown, line: 1 }]);
  });
});

describe("formatProblems and DefinitionError", () => {
  const problems: DefinitionProblem[] = [
    { path: "groups[0].resources[1].volume", message: '"dta" is not an ebs-volume.', line: 34 },
    { path: "timing.leaseDuration", message: "too short." },
  ];

  it("formats a header and one line per problem, with the line when known", () => {
    // Prepare: the problems above.
    // Act
    const text = formatProblems(problems, "examples/cluster.yaml");
    // Assess
    expect(text).toBe(
      [
        "examples/cluster.yaml: 2 problems in the cluster definition:",
        '  examples/cluster.yaml:34 groups[0].resources[1].volume: "dta" is not an ebs-volume.',
        "  examples/cluster.yaml timing.leaseDuration: too short.",
      ].join("\n"),
    );
  });

  it("carries the problems and the formatted message", () => {
    // Prepare and Act
    const error = new DefinitionError(problems.slice(0, 1));
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("DefinitionError");
    expect(error.problems).toEqual(problems.slice(0, 1));
    expect(error.message).toBe(
      '1 problem in the cluster definition:\n  line 34 groups[0].resources[1].volume: "dta" is not an ebs-volume.',
    );
  });
});
