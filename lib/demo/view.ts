import type { DemoCluster } from "./cluster.js";
import type { DemoEvent } from "./event-list.js";

const s = (ms: number) => (ms / 1000).toFixed(1);

/** One event as a line: time since the start, source, text. */
export function eventLine(event: DemoEvent, startedAt: number): string {
  return `+${s(event.at - startedAt).padStart(5)}s ${event.source.padEnd(10)} ${event.text}`;
}

/**
 * The live terminal view: nodes (condition, heartbeat age, agent pid), groups (owner, epoch, status, which
 * node answers its service) and the last events, redrawn in place (cursor home, each line cleared to its end,
 * the rest of the screen cleared): no flicker.
 */
export class LiveView {
  private timer: NodeJS.Timeout | undefined;
  private answers = new Map<string, string | undefined>();
  footer: string[] = [];

  constructor(
    private readonly cluster: DemoCluster,
    private readonly startedAt: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  start(): void {
    this.out.write("\x1b[?25l\x1b[2J");
    this.timer = setInterval(() => this.render(), 250);
    void this.pollAnswers();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.render();
    this.out.write("\x1b[?25h\n");
  }

  private async pollAnswers(): Promise<void> {
    while (this.timer) {
      for (const [resource] of this.cluster.ports) this.answers.set(resource, await this.cluster.answering(resource));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  render(): void {
    const { cluster } = this;
    const now = Date.now();
    const width = this.out.columns ?? 120;
    const rows = this.out.rows ?? 40;
    const aws =
      cluster.aws.kind === "moto"
        ? "DynamoDB: dynalite, EC2 and Route 53: moto_server"
        : "DynamoDB: dynalite (no moto_server on the PATH: on-premise groups only)";
    const t = cluster.definition.timing;
    const lines = [
      `Baton demo, cluster ${cluster.definition.cluster}: ${aws}`,
      `heartbeats to ${cluster.gateway.url}/v1/heartbeat (SigV4 checked) · heartbeat ${s(t.heartbeatIntervalMs)} s, lease ${s(t.leaseDurationMs)} s, controller pass every ${s(t.controllerTickMs)} s · ${s(now - this.startedAt)} s`,
      "",
      "NODES",
    ];
    for (const id of cluster.nodeIds) {
      const report = cluster.snapshot?.liveness.get(id);
      const age = report ? `${s(cluster.snapshotAt - report.receivedAt)} s ago` : "never";
      const agent = cluster.agents.get(id);
      const condition = cluster.conditions.get(id) ?? "up";
      lines.push(
        `  ${id.padEnd(8)} ${condition.padEnd(8)} last heartbeat ${age.padEnd(11)} agent pid ${String(agent?.exitStatus ? "-" : (agent?.pid ?? "-")).padEnd(7)}${report?.leaving ? " leaving" : ""}`,
      );
    }
    lines.push("", "GROUPS");
    for (const group of cluster.definition.groups) {
      const record = cluster.snapshot?.groups.get(group.id);
      const service = group.resources.find((r) => cluster.ports.has(r.id));
      const answer = service ? this.answers.get(service.id) : undefined;
      const curl = service ? `  curl 127.0.0.1:${cluster.ports.get(service.id)} -> ${answer ?? "no answer"}` : "";
      const plan = record?.plan ? ` (${record.plan.kind} ${record.plan.source ?? "-"} -> ${record.plan.target})` : "";
      lines.push(
        `  ${group.id.padEnd(8)} owner ${(record?.owner ?? "-").padEnd(8)} epoch ${String(record?.epoch ?? 0).padEnd(4)} ${(record?.status ?? "-").padEnd(10)}${plan}${curl}`,
      );
    }
    lines.push("", "EVENTS");
    const room = Math.max(5, rows - lines.length - this.footer.length - 2);
    lines.push(...cluster.events.slice(-room).map((e) => `  ${eventLine(e, this.startedAt)}`));
    lines.push("", ...this.footer);
    const text = lines.map((l) => `${l.slice(0, width - 1)}\x1b[K`).join("\n");
    this.out.write(`\x1b[H${text}\x1b[J`);
  }
}
