import { defineConfig } from "vitest/config";

// Three suites, one `vitest run`:
// - unit: no network, no AWS;
// - infra: CDK synthesis, assertions, cdk-nag and cfn-lint (slower: bundles with esbuild);
// - integration: real handlers against moto_server, started once by the global setup.
export default defineConfig({
  test: {
    passWithNoTests: false,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "infra", include: ["test/infra/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/moto.global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // One moto_server is shared, and suites reset it: run integration files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
