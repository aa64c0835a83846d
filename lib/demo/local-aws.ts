import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { spawnSync } from "node:child_process";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  AllocateAddressCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import dynalite from "dynalite";
import { startTransactionsProxy } from "./dynamo-transactions.js";
import { type MotoServer, startMotoServer } from "./moto-server.js";
import { createStateTableIn } from "./state-table.js";

/** What moto made for the EC2 side of the demo: the ids the definition's placeholders are replaced by. */
export interface MotoIds {
  readonly instances: Readonly<Record<string, string>>;
  readonly volumeId: string;
  readonly allocationId: string;
  readonly hostedZoneId: string;
}

export interface LocalAws {
  /** "moto" when moto_server was on the PATH (EC2 and Route 53 in moto), else "dynalite" (DynamoDB only). */
  readonly kind: "moto" | "dynalite";
  readonly tableName: string;
  readonly moto: MotoIds | undefined;
  /** Starts a stopped instance again (a fenced EC2 node brought back). */
  startInstance(instanceId: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether `moto_server` can be run from the PATH. */
export function motoOnPath(): boolean {
  const found = spawnSync("sh", ["-c", "command -v moto_server"], { stdio: "ignore" });
  return found.status === 0;
}

/**
 * The AWS side of the demo on loopback: DynamoDB always served in-process by dynalite, behind a proxy that
 * serves one request at a time and adds TransactWriteItems (lib/demo/dynamo-transactions.ts), and, when `ec2Nodes` are given, moto_server
 * for EC2 and Route 53 with those instances (one per node id), a volume attached to the first, an Elastic
 * IP and a hosted zone. The process's AWS SDK is pointed at them through the SDK's standard variables, with
 * throwaway credentials: nothing reaches AWS (every other service's endpoint is the local one too).
 */
export async function startLocalAws(options: { ec2Nodes?: readonly string[] }): Promise<LocalAws> {
  const server: Server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy = await startTransactionsProxy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const dynamoEndpoint = proxy.endpoint;
  let moto: MotoServer | undefined;
  const closeDynalite = async () => {
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    if (options.ec2Nodes !== undefined) moto = await startMotoServer();
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "demo",
      AWS_SECRET_ACCESS_KEY: "demo",
      AWS_SESSION_TOKEN: "demo",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL: moto?.endpoint ?? dynamoEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    });
    delete process.env.AWS_PROFILE;
    const tableName = "baton-demo";
    const dynamo = new DynamoDBClient({});
    await createStateTableIn(dynamo, tableName);
    dynamo.destroy();
    const ids = moto && options.ec2Nodes ? await buildEc2Side(options.ec2Nodes) : undefined;
    return {
      kind: moto ? "moto" : "dynalite",
      tableName,
      moto: ids,
      async startInstance(instanceId) {
        const ec2 = new EC2Client({});
        await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
        ec2.destroy();
      },
      async close() {
        await Promise.all([moto?.stop(), closeDynalite()]);
      },
    };
  } catch (error) {
    await Promise.all([moto?.stop(), closeDynalite()]);
    throw error;
  }
}

async function buildEc2Side(nodeIds: readonly string[]): Promise<MotoIds> {
  const ec2 = new EC2Client({});
  const images = await ec2.send(new DescribeImagesCommand({}));
  const imageId = images.Images?.[0]?.ImageId ?? "ami-12c6146b";
  const instances: Record<string, string> = {};
  for (const nodeId of nodeIds) {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: "t3.micro",
        Placement: { AvailabilityZone: "us-east-1a" },
      }),
    );
    instances[nodeId] = run.Instances![0]!.InstanceId!;
  }
  const volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 10 }))).VolumeId!;
  // Left detached: the placement attaches it to whichever owner it chooses. Attached to the first node here, a busy
  // start that placed store on the second (the first's agent not ready yet) failed the placement, rightly: the
  // controller does not take a volume from an instance that is not the move's source.
  const allocationId = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId!;
  const route53 = new Route53Client({});
  const zone = await route53.send(
    new CreateHostedZoneCommand({ Name: "demo.example.com", CallerReference: randomUUID() }),
  );
  ec2.destroy();
  route53.destroy();
  return { instances, volumeId, allocationId, hostedZoneId: zone.HostedZone!.Id!.replace("/hostedzone/", "") };
}
