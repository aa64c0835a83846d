/** Shared by the infra tests: build a BatonStack from a definition file, as bin/app.ts does. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { parse as parseYaml } from "yaml";
import { BatonStack } from "../../lib/infra/baton-stack.js";
import { ClusterDefinitionSource } from "../../lib/infra/definition-source.js";
import { stackName } from "../../lib/infra/names.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const examplePath = fileURLToPath(new URL("../../examples/cluster.yaml", import.meta.url));

export interface Synthesized {
  readonly app: App;
  readonly stack: BatonStack;
  readonly source: ClusterDefinitionSource;
  readonly template: Template;
}

const outdirs: string[] = [];

/** Removes the cloud assemblies `synthesize` wrote (call it in `afterAll`). */
export function removeCloudAssemblies(): void {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
}

/**
 * Synthesizes a stack for `source` (the example file by default), with its code bundled unless
 * `bundle` is false (faster, for tests of the template only).
 */
export function synthesize(
  source: ClusterDefinitionSource = ClusterDefinitionSource.fromFile(examplePath),
  { bundle = true }: { bundle?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), "baton-infra-"));
  outdirs.push(outdir);
  const app = new App({ outdir, context: bundle ? {} : { "aws:cdk:bundling-stacks": [] } });
  const stack = new BatonStack(app, stackName(source.definition.cluster), {
    source,
    env: { region: source.definition.region, account: "123456789012" },
  });
  return { app, stack, source, template: Template.fromStack(stack) };
}

/** The example document with `change` applied, validated again. */
export function exampleVariant(change: (document: Record<string, unknown>) => void): ClusterDefinitionSource {
  const document = parseYaml(readFileSync(examplePath, "utf8")) as Record<string, unknown>;
  change(document);
  return ClusterDefinitionSource.fromObject(document);
}

interface ResourceDocument {
  id: string;
  type: string;
  dependsOn?: string[];
}

/**
 * Removes the resources the controller acts on (ebs-volume, elastic-ip, dns-record, and the mounts
 * of removed volumes) from every group, and sets fencing to none: nothing left for the controller to change.
 */
export function withoutControllerResources(document: Record<string, unknown>): void {
  const removed = new Set(["ebs-volume", "elastic-ip", "dns-record", "mount"]);
  for (const group of document.groups as { fencing?: string; resources: ResourceDocument[] }[]) {
    const gone = new Set(group.resources.filter((r) => removed.has(r.type)).map((r) => r.id));
    group.resources = group.resources
      .filter((r) => !gone.has(r.id))
      .map((r) => ({ ...r, dependsOn: (r.dependsOn ?? []).filter((id) => !gone.has(id)) }));
    group.fencing = "none";
  }
}

/** postgres names alarms that fail it over (a name, an ARN, one about db-b): the alarm-driven failover rule. */
export function withFailoverAlarms(document: Record<string, unknown>): void {
  const groups = document.groups as Record<string, unknown>[];
  groups[0]!.failoverOn = [
    "db-a-status-check",
    "arn:aws:cloudwatch:us-east-1:123456789012:alarm:pg-health",
    { alarm: "db-b-status-check", node: "db-b" },
  ];
}

/**
 * A CloudFormation value as one string, with references written `${Ref}` and
 * `${LogicalId.Attribute}`, so an ARN built with Fn::Join can be compared as a whole.
 */
export function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const node = value as Record<string, unknown>;
    if (typeof node.Ref === "string") return `\${${node.Ref}}`;
    const getAtt = node["Fn::GetAtt"];
    if (Array.isArray(getAtt)) return `\${${getAtt.join(".")}}`;
    const join = node["Fn::Join"];
    if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(render).join(join[0]);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The one resource of `type` in the template, with its logical id. */
export function single(template: Template, type: string): { id: string; resource: CfnResourceJson } {
  const found = Object.entries(template.findResources(type) as Record<string, CfnResourceJson>);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, resource };
}

/** The Lambda function whose `POWERTOOLS_SERVICE_NAME` is `service`, with its logical id. */
export function lambdaFunction(template: Template, service: string): { id: string; resource: CfnResourceJson } {
  const found = Object.entries(
    template.findResources("AWS::Lambda::Function", {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
    }) as Record<string, CfnResourceJson>,
  );
  if (found.length !== 1) throw new Error(`expected one function of service ${service}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, resource };
}

/** The S3 key (content hash) of a function's code. */
export function codeKey(synthesized: Synthesized, service: string): string {
  const { resource } = lambdaFunction(synthesized.template, service);
  return (resource.Properties?.Code as { S3Key: string }).S3Key;
}

/** A function's bundled code, read from the app's cloud assembly. */
export function bundle(synthesized: Synthesized, service: string): string {
  const hash = codeKey(synthesized, service).replace(/\.zip$/, "");
  return readFileSync(join(synthesized.app.outdir, `asset.${hash}`, "index.mjs"), "utf8");
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface StatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/** Every IAM statement granted to `roleId`: its inline policies and the AWS::IAM::Policy resources attached to it. */
export function statementsOfRole(template: Template, roleId: string): StatementJson[] {
  const role = template.findResources("AWS::IAM::Role")[roleId] as CfnResourceJson | undefined;
  if (role === undefined) throw new Error(`no role ${roleId}`);
  const inline = ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: StatementJson[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources("AWS::IAM::Policy") as Record<string, CfnResourceJson>)
    .filter((policy) => JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: StatementJson[] }).Statement);
  const managed = (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
  if (managed.length > 0) throw new Error(`role ${roleId} has managed policies: ${JSON.stringify(managed)}`);
  return [...inline, ...attached];
}

export function actionsOf(statement: StatementJson): string[] {
  return typeof statement.Action === "string" ? [statement.Action] : statement.Action;
}
