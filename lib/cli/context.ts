import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoClusterStateStore } from "../aws/cluster-store.js";
import { DefinitionError } from "../core/definition/index.js";
import type { ClusterDefinition } from "../core/definition/types.js";
import { ClusterDefinitionSource } from "../infra/definition-source.js";
import { badInput } from "./errors.js";
import type { CliIo } from "./io.js";
import { type ClusterTarget, lookUpStack } from "./lookup.js";

/** The options every command takes (registered once on the program: `baton --help`). */
export interface GlobalOptions {
  readonly region?: string;
  readonly cluster?: string;
  readonly config?: string;
  readonly table?: string;
  readonly function?: string;
}

/** Environment variable naming the cluster when no option does. */
export const CLUSTER_ENV = "BATON_CLUSTER";

/**
 * This machine's clock may differ from AWS's by this much before the CLI corrects it. DynamoDB's `Date` header has a
 * resolution of one second; within this, ages are shown by the local clock as they are.
 */
export const CLOCK_TOLERANCE_MS = 2_000;

/** Timeouts of the CLI's AWS calls: an operator's network, not a Lambda's; a few seconds is fine. */
const CLIENT = {
  maxAttempts: 3,
  retryMode: "standard",
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;

/**
 * What a command works with: the cluster it names (looked up once, lazily), the AWS clients (region from
 * --region, else the definition's, else the SDK's chain: AWS_REGION, the profile; endpoint from
 * AWS_ENDPOINT_URL as the SDK reads it), and the output helpers that honour --json.
 */
export class CliContext {
  private loaded: ClusterDefinition | null | undefined;
  private resolved: Promise<ClusterTarget> | undefined;
  private clients: {
    dynamodb?: DynamoDBClient;
    ec2?: EC2Client;
    lambda?: LambdaClient;
    cloudformation?: CloudFormationClient;
    sts?: STSClient;
  } = {};
  private caller: Promise<string> | undefined;
  /** AWS's clock minus this machine's, from DynamoDB's last `Date` header (its middle: the header drops the ms). */
  private awsOffsetMs: number | null = null;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
    /** --json: reports go to stdout as JSON, progress and notes to stderr. */
    readonly json: boolean,
  ) {}

  /** The definition of `-c FILE`, validated; null without -c. An invalid file is bad input (exit 2). */
  definition(): ClusterDefinition | null {
    if (this.loaded === undefined) {
      const path = this.options.config;
      this.loaded = path === undefined ? null : loadDefinitionFile(path);
    }
    return this.loaded;
  }

  /**
   * The time by AWS's clock as far as it is known (DynamoDB's last answer): this machine's clock, corrected when it
   * is more than CLOCK_TOLERANCE_MS off. Node states and ages compare it with the heartbeat function's receipt times.
   */
  now(): number {
    return this.io.now() + this.clockSkewMs();
  }

  /** AWS's clock minus this machine's, when it is more than CLOCK_TOLERANCE_MS; else 0. */
  clockSkewMs(): number {
    const offset = this.awsOffsetMs ?? 0;
    return Math.abs(offset) > CLOCK_TOLERANCE_MS ? Math.round(offset) : 0;
  }

  /** --region, else the definition's region, else undefined (the SDK's own chain decides). */
  get region(): string | undefined {
    return this.options.region ?? this.definition()?.region;
  }

  /**
   * The cluster's table and controller function: --table (and --function) as given; else the stack
   * `baton-<cluster>` of --cluster, of the definition (-c FILE), or of BATON_CLUSTER.
   */
  target(): Promise<ClusterTarget> {
    this.resolved ??= this.resolveTarget();
    return this.resolved;
  }

  private async resolveTarget(): Promise<ClusterTarget> {
    const { table, function: functionName } = this.options;
    const cluster = this.options.cluster ?? this.definition()?.cluster ?? this.io.env[CLUSTER_ENV] ?? null;
    if (table !== undefined) {
      return { cluster, tableName: table, functionName: functionName ?? null, source: "--table" };
    }
    if (cluster === null) {
      throw badInput(
        `which cluster? Give --cluster NAME (the stack baton-NAME is looked up), -c FILE (its definition), or --table NAME; or set ${CLUSTER_ENV}.`,
      );
    }
    const found = await lookUpStack(this.cloudformation, cluster, await this.regionName());
    return functionName === undefined ? found : { ...found, functionName };
  }

  /** The region the clients use, for messages. */
  async regionName(): Promise<string> {
    return this.region ?? (await this.cloudformation.config.region());
  }

  get dynamodb(): DynamoDBClient {
    if (this.clients.dynamodb === undefined) {
      const client = new DynamoDBClient({ ...CLIENT, region: this.region });
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const date = (result.response as { headers?: Record<string, string> }).headers?.date;
          const aws = date === undefined ? NaN : Date.parse(date);
          if (Number.isFinite(aws)) this.awsOffsetMs = aws + 500 - this.io.now();
          return result;
        },
        { step: "deserialize", name: "batonAwsClock" },
      );
      this.clients.dynamodb = client;
    }
    return this.clients.dynamodb;
  }

  get ec2(): EC2Client {
    return (this.clients.ec2 ??= new EC2Client({ ...CLIENT, region: this.region }));
  }

  get lambda(): LambdaClient {
    return (this.clients.lambda ??= new LambdaClient({ ...CLIENT, region: this.region }));
  }

  get cloudformation(): CloudFormationClient {
    return (this.clients.cloudformation ??= new CloudFormationClient({ ...CLIENT, region: this.region }));
  }

  get sts(): STSClient {
    return (this.clients.sts ??= new STSClient({ ...CLIENT, region: this.region }));
  }

  /** Who runs the command (STS GetCallerIdentity's ARN): recorded with every operator action and in the log. */
  callerArn(): Promise<string> {
    this.caller ??= this.sts.send(new GetCallerIdentityCommand({})).then((out) => out.Arn ?? "unknown caller");
    return this.caller;
  }

  /** The controller's reader of the table (one strongly consistent, paged Query of the state partition). */
  async store(): Promise<DynamoClusterStateStore> {
    return new DynamoClusterStateStore(this.dynamodb, (await this.target()).tableName);
  }

  /** A report: `value` as JSON with --json, else `render(value)` as text. Both to stdout. */
  report<T>(value: T, render: (value: T) => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : ensureNewline(render(value)));
  }

  /** Text for the operator that is not the report (progress, hints): stderr, so `--json | jq` stays clean. */
  note(text: string): void {
    this.io.stderr.write(ensureNewline(text));
  }

  /** Closes the clients' connections, so the process can exit at once. */
  destroy(): void {
    for (const client of Object.values(this.clients)) client?.destroy();
  }
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** A definition file, validated; its problems (the messages of `cdk synth`) are bad input. */
export function loadDefinitionFile(path: string): ClusterDefinition {
  try {
    return ClusterDefinitionSource.fromFile(path).definition;
  } catch (error) {
    if (error instanceof DefinitionError) throw badInput(error.message);
    throw error;
  }
}
