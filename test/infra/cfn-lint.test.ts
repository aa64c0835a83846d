import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleVariant,
  removeCloudAssemblies,
  synthesize,
  withFailoverAlarms,
  withoutControllerResources,
  type Synthesized,
} from "./synth.js";

const synthesized: Record<string, Synthesized> = {};
let directory: string;

beforeAll(() => {
  synthesized.example = synthesize();
  synthesized.minimal = synthesize(exampleVariant(withoutControllerResources), { bundle: false });
  synthesized.alarms = synthesize(exampleVariant(withFailoverAlarms), { bundle: false });
  directory = mkdtempSync(join(tmpdir(), "baton-cfn-lint-"));
});

afterAll(() => {
  removeCloudAssemblies();
  rmSync(directory, { recursive: true, force: true });
});

// cfn-lint's exit status is a bit field: 2 errors, 4 warnings, 8 informational findings. Errors and warnings both
// fail the test; a warning that must stay is suppressed in the code, on its resource, with the reason.
const ERRORS = 2;
const WARNINGS = 4;
const KNOWN_BITS = 2 | 4 | 8;

describe("cfn-lint", () => {
  // minimal: a definition without volume, address or record (no Route 53 policy, fewer EC2 statements);
  // alarms: a group names alarms (the alarm-driven failover rule).
  it.each(["example", "minimal", "alarms"])(
    "reports no error and no warning on the synthesized template (%s)",
    (name) => {
      // Prepare
      const { stack, template } = synthesized[name]!;
      const file = join(directory, `${name}-${stack.stackName}.template.json`);
      writeFileSync(file, JSON.stringify(template.toJSON(), null, 2));
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
      expect(status & WARNINGS, `cfn-lint reported warnings:\n${output}`).toBe(0);
    },
  );
});
