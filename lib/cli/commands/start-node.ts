import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeInstancesCommand, StartInstancesCommand } from "@aws-sdk/client-ec2";
import { itemKeys } from "../../aws/table-layout.js";
import { parseDuration } from "../../core/duration.js";
import { type CommandModule, withJson } from "../command.js";
import type { CliContext } from "../context.js";
import { badInput, failed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { span } from "../format.js";

interface StartNodeOptions {
  readonly instance?: string;
  readonly timeout: string;
  readonly force?: boolean;
}

const POLL_MS = 2_000;

/**
 * `baton start-node NODE`: starts the EC2 instance of a node Baton stopped while fencing it, then waits for the
 * first heartbeat of its new boot (a new agent run starts with no lease and runs nothing it is not told to).
 * Refused while a move away from the node is still under way: the move's steps (detaching its volumes) assume it
 * stays stopped.
 */
export const startNode: CommandModule = {
  register(program, cli) {
    withJson(
      program
        .command("start-node")
        .argument("<node>", "the node to start (an EC2 node of the definition)")
        .description("start the EC2 instance of a node Baton stopped (fenced), and wait for its first heartbeat")
        .option("--instance <id>", "the node's instance id (default: from the definition, -c FILE)")
        .option("--timeout <duration>", "how long to wait for the heartbeat (such as 10m)", "10m")
        .option("--force", "start it even while a move away from it is under way (see docs/operations.md)"),
    ).action(
      cli.action<StartNodeOptions>(async (ctx, [node], options) => {
        const nodeId = node ?? "";
        const timeoutMs = parseDuration(options.timeout);
        if (timeoutMs === undefined) {
          throw badInput(`--timeout ${options.timeout}: give a duration such as 90s or 10m.`);
        }
        const instanceId = instanceOf(ctx, nodeId, options.instance);
        await refuseWhileMovingAway(ctx, nodeId, options.force === true);
        const before = await lastHeartbeat(ctx, nodeId);
        const state = await instanceState(ctx, instanceId);
        let started = false;
        if (state === "stopped") {
          await ctx.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
          started = true;
          ctx.note(`${nodeId}: starting ${instanceId}; waiting for the first heartbeat of its new boot...`);
        } else if (state === "running" || state === "pending") {
          ctx.note(`${nodeId}: ${instanceId} is already ${state}; waiting for its next heartbeat...`);
        } else {
          throw failed(
            `${nodeId}: ${instanceId} is ${state}; only a stopped instance can be started.${state === "stopping" ? " Run start-node again once it has stopped." : ""}`,
          );
        }
        const from = ctx.io.now();
        const deadline = from + timeoutMs;
        for (;;) {
          const now = await lastHeartbeat(ctx, nodeId);
          const arrived =
            now !== null && (started ? now.bootId !== before?.bootId : now.receivedAt > (before?.receivedAt ?? -1));
          if (now !== null && arrived) {
            const took = ctx.io.now() - from;
            ctx.report(
              { node: nodeId, instanceId, started, bootId: now.bootId, heartbeatAt: now.receivedAt, tookMs: took },
              () => `${nodeId} is back: boot ${now.bootId} sent its first heartbeat ${span(took)} after the start.`,
            );
            return EXIT.done;
          }
          if (ctx.io.signal?.aborted === true) {
            throw failed(`interrupted: ${instanceId} goes on starting; baton status shows when ${nodeId} is up.`);
          }
          if (ctx.io.now() >= deadline) {
            throw failed(
              `${nodeId}: ${instanceId} is ${await instanceState(ctx, instanceId)}, but no heartbeat of a new boot arrived within ${options.timeout}. Check its agent on the instance (systemctl status baton-agent; journalctl -u baton-agent).`,
            );
          }
          const current = await instanceState(ctx, instanceId);
          if (
            current === "stopped" ||
            current === "stopping" ||
            current === "terminated" ||
            current === "shutting-down"
          ) {
            throw failed(
              `${nodeId}: ${instanceId} is ${current} again: someone or something stopped it. Check why first.`,
            );
          }
          await ctx.io.sleep(Math.min(POLL_MS, Math.max(0, deadline - ctx.io.now())), ctx.io.signal);
        }
      }),
    );
  },
};

function instanceOf(ctx: CliContext, nodeId: string, given: string | undefined): string {
  const definition = ctx.definition();
  const node = definition?.nodes.find((n) => n.id === nodeId);
  if (definition !== null && node === undefined) {
    throw badInput(
      `${nodeId}: no node of that name in ${ctx.options.config}; its nodes: ${definition.nodes.map((n) => n.id).join(", ")}.`,
    );
  }
  if (node !== undefined && node.kind !== "ec2") {
    throw badInput(`${nodeId} is an on-premise node: Baton cannot start it; power it on by hand.`);
  }
  const instanceId = given ?? (node?.kind === "ec2" ? node.instanceId : undefined);
  if (instanceId === undefined) {
    throw badInput(`${nodeId}: which instance? Give -c FILE (the cluster's definition names it) or --instance i-....`);
  }
  if (node?.kind === "ec2" && given !== undefined && given !== node.instanceId) {
    throw badInput(
      `--instance ${given}: the definition gives ${nodeId} the instance ${node.instanceId}; leave --instance out.`,
    );
  }
  return instanceId;
}

/** A running plan that has the node as a source (its volumes may still be detaching from the stopped instance). */
async function refuseWhileMovingAway(ctx: CliContext, nodeId: string, force: boolean): Promise<void> {
  const snapshot = await (await ctx.store()).readSnapshot();
  for (const group of snapshot.groups.values()) {
    const plan = group.plan;
    if (plan === null) continue;
    if (plan.source !== nodeId && !(plan.inheritedSources ?? []).includes(nodeId)) continue;
    const step = plan.steps[plan.stepIndex];
    const where = step === undefined ? "" : ` (step ${plan.stepIndex + 1}/${plan.steps.length}, ${step.kind})`;
    if (force) {
      ctx.note(
        `warning: group ${group.groupId} is still moving away from ${nodeId}${where}; starting it anyway (--force).`,
      );
      continue;
    }
    throw failed(
      `group ${group.groupId} is still moving away from ${nodeId}${where}: start the node once the move has completed (baton status shows it), or pass --force.`,
    );
  }
}

async function lastHeartbeat(ctx: CliContext, nodeId: string): Promise<{ bootId: string; receivedAt: number } | null> {
  const { tableName } = await ctx.target();
  const out = await ctx.dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: itemKeys.nodeLiveness(nodeId).pk }, sk: { S: itemKeys.nodeLiveness(nodeId).sk } },
      ProjectionExpression: "bootId, receivedAt",
      ConsistentRead: true,
    }),
  );
  const bootId = out.Item?.bootId?.S;
  const receivedAt = Number(out.Item?.receivedAt?.N);
  return bootId === undefined || !Number.isFinite(receivedAt) ? null : { bootId, receivedAt };
}

async function instanceState(ctx: CliContext, instanceId: string): Promise<string> {
  let out;
  try {
    out = await ctx.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    if (error instanceof Error && error.name.startsWith("InvalidInstanceID")) {
      throw badInput(`instance ${instanceId} does not exist in this region: check the definition and --region.`);
    }
    throw error;
  }
  const state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  if (state === undefined)
    throw badInput(`instance ${instanceId} does not exist in this region: check the definition and --region.`);
  return state;
}
