import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DefinitionError } from "../../lib/core/definition/index.js";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { examplePath } from "./synth.js";

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "baton-source-"));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function thrown(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("ClusterDefinitionSource", () => {
  it("fromFile gives the resolved definition and the file's document as plain data", () => {
    // Prepare
    const text = readFileSync(examplePath, "utf8");
    // Act
    const source = ClusterDefinitionSource.fromFile(examplePath);
    // Assess
    expect(source.definition.cluster).toBe("orders-db");
    expect(source.definition.timing.heartbeatIntervalMs).toBe(2_000);
    expect(source.document).toEqual(parse(text));
    expect(JSON.parse(JSON.stringify(source.document))).toEqual(source.document);
  });

  it("fromFile names the file and the line of each problem", () => {
    // Prepare
    const file = join(directory, "bad.yaml");
    const text = readFileSync(examplePath, "utf8").replace(/^region: .*$/m, "region: mars-1");
    const line = text.split("\n").indexOf("region: mars-1") + 1;
    writeFileSync(file, text);
    // Act
    const error = thrown(() => ClusterDefinitionSource.fromFile(file));
    // Assess
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).problems).toEqual([expect.objectContaining({ path: "region" })]);
    expect((error as DefinitionError).message).toMatch(new RegExp(`^${file}: 1 problem`));
    expect(line).toBeGreaterThan(0);
    expect((error as DefinitionError).message).toContain(`${file}:${line} region:`);
  });

  it("fromFile reports a missing file as a DefinitionError", () => {
    // Prepare
    const file = join(directory, "missing.yaml");
    // Act
    const error = thrown(() => ClusterDefinitionSource.fromFile(file));
    // Assess
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).message).toContain(`${file}: the file cannot be read (ENOENT)`);
  });

  it("fromYaml and fromObject validate too", () => {
    // Prepare
    const document = parse(readFileSync(examplePath, "utf8")) as Record<string, unknown>;
    // Act
    const fromYaml = thrown(() => ClusterDefinitionSource.fromYaml("cluster: x\n", "inline"));
    const fromObject = thrown(() => ClusterDefinitionSource.fromObject({ ...document, nodes: [] }));
    // Assess
    expect(fromYaml).toBeInstanceOf(DefinitionError);
    expect((fromYaml as DefinitionError).message).toMatch(/^inline: \d+ problems? in the cluster definition/);
    expect(fromObject).toBeInstanceOf(DefinitionError);
    expect(ClusterDefinitionSource.fromObject(document).definition.cluster).toBe("orders-db");
  });
});
