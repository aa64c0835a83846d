import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeCloudAssemblies, synthesize, type Synthesized } from "./synth.js";

let example: Synthesized;
let directory: string;

beforeAll(() => {
  example = synthesize();
  directory = mkdtempSync(join(tmpdir(), "baton-cfn-lint-"));
});

afterAll(() => {
  removeCloudAssemblies();
  rmSync(directory, { recursive: true, force: true });
});

// cfn-lint's exit status is a bit field: 2 errors, 4 warnings, 8 informational findings.
const ERRORS = 2;
const KNOWN_BITS = 2 | 4 | 8;

describe("cfn-lint", () => {
  it("reports no error on the synthesized template", () => {
    // Prepare
    const file = join(directory, `${example.stack.stackName}.template.json`);
    writeFileSync(file, JSON.stringify(example.template.toJSON(), null, 2));
    // Act
    const run = spawnSync("cfn-lint", [file], { encoding: "utf8", timeout: 100_000 });
    // Assess
    if (run.error !== undefined) {
      throw new Error(`cfn-lint could not be run (${run.error.message}); install it (pip install cfn-lint).`);
    }
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, `cfn-lint did not finish:\n${output}`).not.toBeNull();
    const status = run.status ?? -1;
    expect(status & ~KNOWN_BITS, `cfn-lint failed to run (exit ${status}):\n${output}`).toBe(0);
    expect(status & ERRORS, `cfn-lint reported errors:\n${output}`).toBe(0);
  });
});
