import { setTimeout as sleep } from "node:timers/promises";
import type { GroupDefinition } from "../core/definition/types.js";
import { failoverBound } from "./bound.js";
import type { DemoCluster } from "./cluster.js";
import type { EventOf, TimedEvent } from "./controller-loop.js";
import { overlappingRuns, readRecord } from "./record.js";

export interface ScenarioResult {
  readonly ok: boolean;
  /** `demo: failover of GROUP from A to B in X.X s (detection Y.Y s), bound Z.Z s` */
  readonly summary: string;
  /** Why not ok. */
  readonly problems: readonly string[];
}

const s = (ms: number) => (ms / 1000).toFixed(1);

/**
 * The scripted scenario. Every group placed; then the owner of the first group (the EC2 one when there
 * is one: its volume, Elastic IP and DNS record move too) dies (SIGKILL to its agent and services, no
 * leaving): detection and failover are measured against the bound; the node comes back and the group
 * fails back as its policy says. Then the owner of another group is cut off from the cluster: it stops
 * the group on its own before its lease ends (self-fencing), the group moves, the node comes back.
 * Judged at the end from the services' own record: no resource of a group ever ran on two nodes at once.
 */
export async function runScenario(cluster: DemoCluster): Promise<ScenarioResult> {
  const { definition } = cluster;
  const problems: string[] = [];
  const groupOf = new Map(definition.groups.flatMap((g) => g.resources.map((r) => [r.id, g.id] as const)));

  cluster.note(`waiting for every group to be placed and online`);
  await until(60_000, "every group online", () =>
    definition.groups.every((g) => cluster.snapshot?.groups.get(g.id)?.status === "online"),
  );
  // A group is placed on its first preferred owner that is ready; on a busy machine that node's agent may not be yet
  // (heard within two intervals), and the group goes to the next. One that fails back (immediate) returns once its
  // node has been up long enough: the script starts from there, so each run tells the same story.
  const elsewhere = definition.groups.filter(
    (g) => g.failback.mode === "immediate" && ownerOf(cluster, g.id) !== g.preferredOwners[0],
  );
  for (const g of elsewhere) {
    cluster.note(
      `${g.id} was placed on ${ownerOf(cluster, g.id)}: waiting for it to fail back to ${g.preferredOwners[0]}`,
    );
  }
  if (elsewhere.length > 0) {
    await until(90_000, "every group back on its first preferred owner", () =>
      elsewhere.every(
        (g) =>
          cluster.snapshot?.groups.get(g.id)?.status === "online" &&
          cluster.snapshot.groups.get(g.id)?.owner === g.preferredOwners[0],
      ),
    );
  }
  for (const g of definition.groups.filter((g) => g.failback.mode !== "immediate")) {
    const owner = ownerOf(cluster, g.id);
    if (owner !== g.preferredOwners[0])
      cluster.note(
        `${g.id} is on ${owner}, not on its first preferred owner ${g.preferredOwners[0]} (not ready when it was placed, or a failover since); it stays there (failback ${g.failback.mode})`,
      );
  }
  for (const g of definition.groups) {
    const web = httpResource(g);
    const answer = web ? await cluster.answering(web) : undefined;
    const port = web ? cluster.ports.get(web) : undefined;
    cluster.note(
      `${g.id} is online on ${ownerOf(cluster, g.id)}` +
        (answer ? `: curl http://127.0.0.1:${port}/ answers "${web} on ${answer}"` : ""),
    );
  }

  // 1. A node dies.
  const first =
    definition.groups.find((g) => g.resources.some((r) => r.type === "ebs-volume")) ?? definition.groups[0]!;
  const victim = ownerOf(cluster, first.id);
  const bound = failoverBound(definition, first);
  cluster.note(
    `next: ${victim}, owner of ${first.id}, dies. Bound on its failover: ${s(bound.failoverMs)} s = ${bound.formula}`,
  );
  await sleep(1_000);
  const afterPass = cluster.controller.passes.length;
  const killedAt = Date.now();
  await cluster.kill(victim);
  const started = await cluster.controller.waitForEvent("failover-started", {
    groupId: first.id,
    afterPass,
    timeoutMs: 60_000,
  });
  const detectionMs = started.pass.endedAt - killedAt;
  cluster.note(
    `detected: ${victim} silent, ${first.id} taken by ${started.event.target} ${s(detectionMs)} s after the kill ` +
      `(the controller may act after lease + grace: ${s(definition.timing.leaseDurationMs + Math.max(2_000, definition.timing.leaseDurationMs / 5))} s of silence)`,
  );
  const completed = await cluster.controller.waitForEvent("failover-completed", {
    groupId: first.id,
    afterPass,
    timeoutMs: 60_000,
  });
  const target = completed.event.target;
  const web = httpResource(first);
  let servedAt = completed.pass.endedAt;
  if (web) {
    await until(10_000, `${web} answering on ${target}`, async () => (await cluster.answering(web)) === target);
    servedAt = Math.max(servedAt, Date.now());
    cluster.note(`${web} answers from ${target} again (curl http://127.0.0.1:${cluster.ports.get(web)}/)`);
  }
  const failoverMs = servedAt - killedAt;
  const summary = `demo: failover of ${first.id} from ${victim} to ${target} in ${s(failoverMs)} s (detection ${s(detectionMs)} s), bound ${s(bound.failoverMs)} s`;
  cluster.note(`measured: detection ${s(detectionMs)} s, failover ${s(failoverMs)} s, bound ${s(bound.failoverMs)} s`);
  if (failoverMs > bound.failoverMs)
    problems.push(`the failover took ${s(failoverMs)} s, over its bound ${s(bound.failoverMs)} s`);
  if (started.event.source !== victim) problems.push(`the failover came from ${started.event.source}, not ${victim}`);

  // 2. It comes back: failback as the group's policy says.
  await sleep(1_000);
  const backPass = cluster.controller.passes.length;
  await cluster.restore(victim);
  await failback(cluster, first, victim, backPass);

  // 3. Another group's owner is cut off: it fences itself.
  const second = definition.groups.find((g) => g.id !== first.id && g.fencing !== "stop-instance");
  if (second) {
    // Its owner is the one cut off: the group online, not in a move, when it is chosen and again at the cut.
    const settled = () => cluster.snapshot?.groups.get(second.id)?.status === "online";
    await until(30_000, `${second.id} online`, settled);
    const cut = ownerOf(cluster, second.id);
    const agent = cluster.agents.get(cut)!;
    const cutPass = cluster.controller.passes.length;
    cluster.note(`next: ${cut}, owner of ${second.id}, is cut off from the cluster (its heartbeats dropped)`);
    await sleep(1_000);
    await until(30_000, `${second.id} online on ${cut}`, () => settled() && ownerOf(cluster, second.id) === cut);
    const cutAt = Date.now();
    const logFrom = agent.lines.length;
    cluster.cutOff(cut);
    // Its own stop for want of a lease, not one a move asked of it.
    const fenced = await agent.waitForLine((l) => l.message.startsWith(`group ${second.id} stopped (lease lost)`), {
      after: logFrom,
      timeoutMs: 30_000,
    });
    const taken = await cluster.controller.waitForEvent("failover-started", {
      groupId: second.id,
      afterPass: cutPass,
      timeoutMs: 60_000,
    });
    cluster.note(
      `self-fencing: ${cut} stopped ${second.id} on its own ${s(fenced.line.readAt - cutAt)} s after the cut; ` +
        `the controller moved it ${s(taken.pass.endedAt - cutAt)} s after the cut, after the stop: ${fenced.line.readAt < taken.pass.startedAt}`,
    );
    if (fenced.line.readAt >= taken.pass.startedAt)
      problems.push(`${cut} had not stopped ${second.id} when the controller moved it`);
    await cluster.controller.waitForEvent("failover-completed", {
      groupId: second.id,
      afterPass: cutPass,
      timeoutMs: 60_000,
    });
    await sleep(1_000);
    const backPass2 = cluster.controller.passes.length;
    await cluster.restore(cut);
    await failback(cluster, second, cut, backPass2);
  }

  await sleep(500);
  cluster.collect();
  const overlaps = overlappingRuns(readRecord(cluster.options.dir), (a, b) => groupOf.get(a) === groupOf.get(b));
  if (overlaps.length === 0) cluster.note(`checked: no resource ran on two nodes at once (the services' own record)`);
  else problems.push(...overlaps.map((o) => `ran on two nodes at once: ${o}`));
  const failures = cluster.controller.failures();
  if (failures.length > 0) cluster.note(`${failures.length} controller passes failed (each retried at the next tick)`);
  return { ok: problems.length === 0, summary, problems };
}

/** After `node` came back: the group moves back (immediate), or stays (never; window outside it). */
async function failback(cluster: DemoCluster, group: GroupDefinition, node: string, afterPass: number): Promise<void> {
  const mode = group.failback.mode;
  if (mode === "immediate" && group.preferredOwners[0] === node) {
    const backAt = Date.now();
    cluster.note(
      `${group.id} fails back (immediate) once ${node} has been up long enough (max(30 s, 3 × lease) since its boot)`,
    );
    const back: TimedEvent<EventOf<"failover-completed">> = await cluster.controller.waitForEvent(
      "failover-completed",
      { groupId: group.id, afterPass, timeoutMs: 60_000 },
    );
    cluster.note(
      `failback (immediate): ${group.id} is back on ${back.event.target}, ${s(back.pass.endedAt - backAt)} s after ${node} returned`,
    );
    return;
  }
  const since = Date.now() - 2_000;
  const agent = cluster.agents.get(node)!;
  await agent.waitForLine(
    (l) => l.readAt >= since && (l.message.startsWith("joined cluster") || l.message.startsWith("heartbeats answered")),
    { timeoutMs: 30_000 },
  );
  // A few passes with the node back: nothing moves.
  await sleep(3 * cluster.definition.timing.controllerTickMs);
  cluster.note(
    `failback ${mode === "window" ? `(only in its window)` : "(never)"}: ${group.id} stays on ${ownerOf(cluster, group.id)} with ${node} back`,
  );
}

function ownerOf(cluster: DemoCluster, groupId: string): string {
  const owner = cluster.snapshot?.groups.get(groupId)?.owner;
  if (!owner) throw new Error(`group ${groupId} has no owner`);
  return owner;
}

/** The group's HTTP service resource (the demo's service program with `http`), if any. */
function httpResource(group: GroupDefinition): string | undefined {
  return group.resources.find((r) => r.type === "command" && r.start[2] === "http")?.id;
}

async function until(timeoutMs: number, what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${s(timeoutMs)} s: ${what}`);
    await sleep(100);
  }
}
