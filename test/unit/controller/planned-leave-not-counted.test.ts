import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../support/node-health.js";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { decideGroup } from "../../../lib/core/controller/group-decision.js";
import { emptyGroupRecord, type GroupRecord } from "../../../lib/core/controller/records.js";

/**
 * A planned shutdown (the agent's leaving heartbeat: patching, a reboot) is a drain, not a failure: the move it
 * triggers is not counted against the failover threshold and is not refused by it (as WSFC does not count a
 * planned drain). With a two-node cluster's defaults (threshold nodes − 1 = 1 per 6 h, failback never), counting
 * it left the group failed, down, at the second planned reboot within 6 h.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const HOUR = 3_600_000;
const def = load(`
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
groups:
  - id: app
    preferredOwners: [n1, n2]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const group = def.groups[0]!;

function health(up: string[], leaving: string | null): Map<string, NodeHealth> {
  return new Map(
    def.nodes.map((n) => [
      n.id,
      nodeHealth(n.id, {
        up: up.includes(n.id),
        leaseOver: !up.includes(n.id) && n.id !== leaving,
        lastHeardAt: NOW - 1_000,
        upSince: up.includes(n.id) ? NOW - 2 * HOUR : null,
        leaving: n.id === leaving,
        report: { nodeId: n.id, bootId: "b", seq: 9 },
      }),
    ]),
  );
}

const online = (owner: string, over: Partial<GroupRecord> = {}): GroupRecord => ({
  ...emptyGroupRecord("app", NOW),
  version: 9,
  owner,
  epoch: 4,
  status: "online",
  desired: { svc: "online" },
  ...over,
});

function leave(record: GroupRecord, leaving: string, up: string, now: number): GroupRecord {
  const decision = decideGroup({ definition: def, group, record, health: health([up], leaving), frozen: false, now });
  expect(decision.kind).toBe("write");
  return (decision as { record: GroupRecord }).record;
}

describe("a planned shutdown of the owner (leaving heartbeat)", () => {
  it("moves the group without counting a failover", () => {
    expect(group.failover.threshold).toBe(1); // two nodes: nodes − 1
    const moved = leave(online("n1"), "n1", "n2", NOW);
    expect(moved).toMatchObject({ owner: "n2", status: "moving", failovers: [] });
  });

  it("two planned reboots within 6 h: the second moves the group back, it is not left failed", () => {
    // n1 patched an hour ago: the group moved to n2 (and completed there). Now n2 is patched.
    const first = leave(online("n1"), "n1", "n2", NOW - HOUR);
    const onN2 = online("n2", { epoch: first.epoch, failovers: first.failovers });
    const second = leave(onN2, "n2", "n1", NOW);
    expect(second).toMatchObject({ owner: "n1", status: "moving", failovers: [] });
  });

  it("is not refused by the threshold either: one real failover an hour ago does not leave it failed", () => {
    const moved = leave(online("n2", { failovers: [NOW - HOUR] }), "n2", "n1", NOW);
    expect(moved).toMatchObject({ owner: "n1", status: "moving", failovers: [NOW - HOUR] });
  });
});
