import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  AllocateAddressCommand,
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { parse } from "yaml";
import { AGENT_RESOURCE_TYPES } from "../../../lib/core/definition/types.js";
import type { HeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { ACCOUNT, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";
import { createStateTable } from "./aws.js";

export const FAST_TIMING = { heartbeatInterval: "500ms", leaseDuration: "2s", controllerTick: "1s" };
/**
 * The stop timeout of every agent-side resource under FAST_TIMING, which leaves a group 250 ms to stop
 * (2s minus the 250ms margin minus 3 heartbeats of 500ms): the example's groups hold at most two.
 */
export const FAST_STOP_TIMEOUT = "100ms";

export interface ClusterWorld {
  readonly instances: { readonly "db-a": string; readonly "db-b": string };
  readonly volumeId: string;
  readonly allocationId: string;
  readonly hostedZoneId: string;
  readonly topicArn: string;
  readonly tableName: string;
  /** examples/cluster.yaml with moto's ids, fast timing and stop timeouts that fit it. */
  readonly document: Record<string, unknown>;
}

/**
 * The example cluster's shape built in moto: two instances in us-east-1a, the volume attached to
 * db-a, an Elastic IP, the hosted zone, the topic and the table. The definition is the example's,
 * with the ids moto gave and timing fast enough for a test.
 */
export async function buildClusterWorld(): Promise<ClusterWorld> {
  const ec2 = new EC2Client({});
  const images = await ec2.send(new DescribeImagesCommand({}));
  const imageId = images.Images?.[0]?.ImageId ?? "ami-12c6146b";
  const run = async () =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: "t3.micro",
          Placement: { AvailabilityZone: "us-east-1a" },
        }),
      )
    ).Instances![0]!.InstanceId!;
  const instances = { "db-a": await run(), "db-b": await run() };
  const volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 10 }))).VolumeId!;
  await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instances["db-a"], Device: "/dev/xvdf" }));
  const allocationId = (await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }))).AllocationId!;
  const zone = await new Route53Client({}).send(
    new CreateHostedZoneCommand({ Name: "example.com", CallerReference: randomUUID() }),
  );
  const hostedZoneId = zone.HostedZone!.Id!.replace("/hostedzone/", "");
  const topicArn = (await new SNSClient({}).send(new CreateTopicCommand({ Name: "baton-it" }))).TopicArn!;
  const tableName = "baton-controller-it";
  await createStateTable(tableName);

  const text = readFileSync("examples/cluster.yaml", "utf8")
    .replaceAll("i-0a1b2c3d4e5f60001", instances["db-a"])
    .replaceAll("i-0a1b2c3d4e5f60002", instances["db-b"])
    .replaceAll("vol-0a1b2c3d4e5f60001", volumeId)
    .replaceAll("eipalloc-0a1b2c3d4e5f60001", allocationId)
    .replaceAll("Z0A1B2C3D4E5F6", hostedZoneId);
  const document = parse(text) as Record<string, unknown>;
  document.timing = FAST_TIMING;
  for (const group of document.groups as { resources: Record<string, unknown>[] }[]) {
    for (const resource of group.resources) {
      if ((AGENT_RESOURCE_TYPES as readonly unknown[]).includes(resource.type))
        resource.stopTimeout = FAST_STOP_TIMEOUT;
    }
  }
  return { instances, volumeId, allocationId, hostedZoneId, topicArn, tableName, document };
}

/** The identity each node signs with, given moto's instance ids. */
export function callerOf(world: ClusterWorld, nodeId: string): string {
  if (nodeId === "db-a" || nodeId === "db-b") {
    return `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node/${world.instances[nodeId]}`;
  }
  return `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node-office-1/roles-anywhere-office-1`;
}

interface Answer {
  groups?: { id: string; owner: string | null; epoch: number; resources: Record<string, string> }[];
}

/**
 * Agents that obey at once: each heartbeat reports, as its resources' states, what the previous
 * answer asked for (the real agent, next issue, starts and stops them in between).
 */
export class ObedientAgents {
  private readonly state = new Map<
    string,
    { bootId: string; seq: number; resources: Record<string, string>; epochs?: Record<string, number> }
  >();
  /**
   * Whether heartbeats carry `epochs` (the epoch of each group's last answer obeyed), as the real agent's do: a
   * live source's stop counts as confirmed under a move only with them (docs/safety.md G4). Off by default: the
   * scenarios written before then assumed agents without it.
   */
  reportEpochs = false;

  constructor(
    private readonly world: ClusterWorld,
    private readonly heartbeat: HeartbeatHandler,
  ) {}

  /** Its agent restarts: a new boot that has run nothing yet (its previous boot stopped what it ran). */
  restart(nodeId: string): void {
    this.state.set(nodeId, { bootId: randomUUID(), seq: 0, resources: {} });
  }

  async beat(nodeIds: readonly string[]): Promise<void> {
    for (const nodeId of nodeIds) {
      const node = this.state.get(nodeId) ?? { bootId: randomUUID(), seq: 0, resources: {} };
      node.seq++;
      const response = await this.heartbeat(
        heartbeatEvent(
          {
            nodeId,
            bootId: node.bootId,
            seq: node.seq,
            resources: node.resources,
            ...(this.reportEpochs && node.epochs ? { epochs: node.epochs } : {}),
          },
          callerOf(this.world, nodeId),
        ),
        LAMBDA_CONTEXT,
      );
      if (response.statusCode !== 200)
        throw new Error(`heartbeat of ${nodeId}: ${response.statusCode} ${response.body}`);
      const answer = JSON.parse(response.body ?? "{}") as Answer;
      node.resources = Object.assign({}, ...(answer.groups ?? []).map((g) => g.resources)) as Record<string, string>;
      node.epochs = Object.fromEntries((answer.groups ?? []).map((g) => [g.id, g.epoch]));
      this.state.set(nodeId, node);
    }
  }
}
