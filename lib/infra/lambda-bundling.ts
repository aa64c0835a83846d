import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import type { ClusterDefinitionSource } from "./definition-source.js";
import { env } from "./names.js";

/**
 * What every Baton function shares: Node.js 24 on arm64, active X-Ray tracing, JSON logs
 * (application INFO, platform WARN). Each function adds its own log group, role, memory and timeout.
 */
export const functionDefaults = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  loggingFormat: lambda.LoggingFormat.JSON,
  applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
  systemLogLevelV2: lambda.SystemLogLevel.WARN,
} as const satisfies Partial<nodejs.NodejsFunctionProps>;

/**
 * How every Baton function is bundled: local esbuild (no Docker), one minified ES module, and
 * the validated definition document compiled into the code with esbuild `define`.
 *
 * Compiled in, the definition is versioned with the function, cannot be edited in place, and is
 * not limited by the 4 KB of Lambda environment variables. The code asset hash is the hash of the
 * bundle, so a new definition is a new version of each function.
 */
export function bundlingFor(source: ClusterDefinitionSource): nodejs.BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: true,
    sourceMap: false,
    format: nodejs.OutputFormat.ESM,
    target: "node24",
    mainFields: ["module", "main"],
    // CommonJS dependencies bundled into an ES module still call require().
    banner:
      "import{createRequire as __batonCreateRequire}from'node:module';const require=__batonCreateRequire(import.meta.url);",
    define: { [env.definition]: JSON.stringify(JSON.stringify(source.document)) },
  };
}
