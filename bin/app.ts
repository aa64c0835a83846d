// CDK app entry point: `npx cdk synth -c config=PATH` (default examples/cluster.yaml).
import { App } from "aws-cdk-lib";
import { DefinitionError } from "../lib/core/definition/index.js";
import { BatonStack } from "../lib/infra/baton-stack.js";
import { ClusterDefinitionSource } from "../lib/infra/definition-source.js";
import { configContextKey, defaultConfigPath, stackName } from "../lib/infra/names.js";

function main(): void {
  // No automatic synthesis at exit: a rejected definition must leave no cloud assembly behind.
  const app = new App({ autoSynth: false });
  const path = (app.node.tryGetContext(configContextKey) as string | undefined) ?? defaultConfigPath;
  let source: ClusterDefinitionSource;
  try {
    source = ClusterDefinitionSource.fromFile(path);
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    // The problems are the message; a stack trace would only bury them.
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  const { definition } = source;
  new BatonStack(app, stackName(definition.cluster), {
    source,
    env: { region: definition.region, account: process.env.CDK_DEFAULT_ACCOUNT },
  });
  app.synth();
}

main();
