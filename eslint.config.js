// One linter (ESLint, type-aware) plus Prettier for formatting.
// The rules that matter most here: no floating promises (an unawaited AWS call
// is a step that silently did not happen) and no focused or skipped tests.
import js from "@eslint/js";
import vitest from "@vitest/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdk.out/", "coverage/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["*.js"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["test/**/*.ts"],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      "vitest/no-focused-tests": "error",
      "vitest/no-disabled-tests": "error",
      "vitest/expect-expect": "error",
    },
  },
  {
    // Core rules: lib/core stays pure (no AWS SDK, no clock, no I/O).
    files: ["lib/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@aws-sdk/*", "aws-cdk-lib", "aws-cdk-lib/*"],
              message: "lib/core is pure: talk to AWS through a port in lib/aws.",
            },
            {
              group: ["node:fs", "node:fs/*", "fs", "node:net", "node:http", "node:https", "node:child_process"],
              message: "lib/core does no I/O: take the data as an argument.",
            },
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "lib/core takes the time as an argument (an injected clock)." },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "lib/core takes the time as an argument (an injected clock).",
        },
      ],
    },
  },
  prettier,
);
