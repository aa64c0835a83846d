/**
 * The demo's event list: what happened, one line each, from the controller's passes (their events, as
 * `describeEvent` words them), the agents' notable log lines, and what the demo itself did.
 */
import type { ControllerEvent } from "../core/controller/events.js";
import type { AgentProcess } from "./agent-process.js";
import type { PassRecord } from "./controller-loop.js";

/** One line of what happened, for the event list and `--ci`'s output. */
export interface DemoEvent {
  /** Wall clock, ms. */
  readonly at: number;
  /** "demo", "controller" or a node id. */
  readonly source: string;
  readonly text: string;
}

/** Agent log messages worth a line in the event list (the others are routine). */
const AGENT_LINES =
  /^(joined cluster|starting |stopping |lease lost|group \S+ stopped|\S+ online$|\S+ offline$|\S+ failed|left the cluster|heartbeats answered again|check of )/;

export class EventList {
  readonly events: DemoEvent[] = [];
  private readonly seenLines = new Map<AgentProcess, number>();
  private seenPasses = 0;

  note(text: string, source = "demo"): void {
    this.events.push({ at: Date.now(), source, text });
  }

  /** New controller events and agent lines, in the event list. */
  collect(passes: readonly PassRecord[], agents: ReadonlyMap<string, AgentProcess>): void {
    for (; this.seenPasses < passes.length; this.seenPasses++) {
      const pass = passes[this.seenPasses]!;
      if (pass.error !== undefined) this.note(`pass failed: ${pass.error}`, "controller");
      if (pass.result === undefined || !("events" in pass.result)) continue;
      for (const event of pass.result.events)
        this.events.push({ at: pass.endedAt, source: "controller", text: describeEvent(event) });
    }
    for (const [nodeId, agent] of agents) {
      const from = this.seenLines.get(agent) ?? 0;
      for (const line of agent.lines.slice(from)) {
        if (AGENT_LINES.test(line.message) || line.level === "error")
          this.events.push({ at: line.readAt, source: nodeId, text: line.message });
      }
      this.seenLines.set(agent, agent.lines.length);
    }
  }
}

/** One controller event as a line. */
export function describeEvent(event: ControllerEvent): string {
  switch (event.type) {
    case "failover-started":
      return `${event.kind} of ${event.groupId} started: ${event.source ?? "-"} -> ${event.target}, epoch ${event.epoch} (${event.reason})`;
    case "failover-completed":
      return `${event.kind} of ${event.groupId} completed on ${event.target}, epoch ${event.epoch}, in ${(event.durationMs / 1000).toFixed(1)} s`;
    case "step":
      return `${event.groupId} step ${event.step}: ${event.outcome} (${event.durationMs} ms)`;
    case "failover-failed":
    case "group-failed":
      return `${event.type} ${event.groupId}: ${event.reason}`;
    case "group-waiting":
      return `${event.groupId} waits: ${event.reason}`;
    default:
      return `${event.type}: ${JSON.stringify(event)}`;
  }
}
