// CDK app entry point: `npx cdk synth -c config=PATH` (default examples/cluster.yaml), optionally
// `-c networkInterfaceTag=KEY=VALUE` (docs/deployment.md).
import { App } from "aws-cdk-lib";
import { DefinitionError } from "../lib/core/definition/index.js";
import { BatonStack } from "../lib/infra/baton-stack.js";
import { ClusterDefinitionSource } from "../lib/infra/definition-source.js";
import { configContextKey, defaultConfigPath, networkInterfaceTagContextKey, stackName } from "../lib/infra/names.js";

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
  const tagText = app.node.tryGetContext(networkInterfaceTagContextKey) as string | undefined;
  const separator = tagText?.indexOf("=") ?? -1;
  if (tagText !== undefined && separator < 1) {
    process.stderr.write(
      `-c ${networkInterfaceTagContextKey}=${tagText}: write the tag as KEY=VALUE, such as baton:cluster=${definition.cluster}.\n`,
    );
    process.exitCode = 1;
    return;
  }
  try {
    new BatonStack(app, stackName(definition.cluster), {
      source,
      env: { region: definition.region, account: process.env.CDK_DEFAULT_ACCOUNT },
      ...(tagText === undefined
        ? {}
        : { networkInterfaceTag: { key: tagText.slice(0, separator), value: tagText.slice(separator + 1) } }),
    });
  } catch (error) {
    // The construct's own refusals name the problem; a stack trace would only bury it.
    if (!(error instanceof Error && error.message.startsWith("FailoverCluster: "))) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  app.synth();
}

main();
