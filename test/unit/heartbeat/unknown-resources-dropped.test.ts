import { definitionFrom } from "../../support/example-cluster.js";
import { describe, expect, it } from "vitest";
import { acceptAnswer, initialState, settle } from "../../../lib/core/agent/state.js";
import { decide } from "../../../lib/core/agent/supervisor.js";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import { answerFor } from "../../../lib/core/heartbeat/answer.js";
import { admitHeartbeat } from "../../../lib/core/heartbeat/admit.js";

/**
 * A deploy that renames or removes an agent resource, or takes a node out of a group's preferredOwners, leaves
 * agents reporting resources the new definition no longer lets them report: their report is built from their
 * last accepted answer. Refusing such a heartbeat (400) would cut the node off for good (it never gets the answer
 * that would change its report, self-fences and stays silent). The heartbeat is admitted without those ids; the
 * answer no longer lists them, which is the agent's signal to stop them.
 */
const load = definitionFrom;

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const NODES = `
cluster: web
region: us-east-1
nodes:
  - { id: n1, kind: onprem, principal: "arn:aws:iam::123456789012:role/n1", address: 203.0.113.1 }
  - { id: n2, kind: onprem, principal: "arn:aws:iam::123456789012:role/n2", address: 203.0.113.2 }
`;
const before = load(`${NODES}groups:
  - id: app
    preferredOwners: [n1, n2]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
// The deploy renames svc to svc2.
const after = load(`${NODES}groups:
  - id: app
    preferredOwners: [n1, n2]
    resources:
      - { id: svc2, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";
const CALLER = "arn:aws:sts::123456789012:assumed-role/n1/s";
const owned = (desired: Record<string, "online" | "offline">) =>
  new Map([["app", { owner: "n1", epoch: 3, desired, status: "online" }]]);

describe("a heartbeat reporting resources the deployed definition no longer lets the node report", () => {
  it("is admitted without them (named for the log), and the answer leads the agent to stop them", () => {
    // n1 runs svc under the old definition.
    let state = acceptAnswer(
      initialState("n1"),
      answerFor(
        indexCluster(before),
        { nodeId: "n1", bootId: BOOT, seq: 1, resources: {} },
        NOW,
        owned({ svc: "online" }),
      ),
      0,
    );
    let p = decide(state, 10);
    expect(p.actions.map((a) => `${a.kind} ${a.resourceId}`)).toEqual(["start svc"]);
    state = settle(p.state, { kind: "start", resourceId: "svc", token: p.actions[0]!.token, ok: true }, 20).state;
    const report = decide(state, 100).report;
    expect(report).toEqual({ svc: "online" });

    // After the deploy its next heartbeat still reports svc.
    const body = JSON.stringify({ nodeId: "n1", bootId: BOOT, seq: 2, resources: { ...report } });
    const admitted = admitHeartbeat(
      indexCluster(after),
      { body, isBase64Encoded: false, callerArn: CALLER },
      "123456789012",
    );
    expect(admitted.heartbeat.resources).toEqual({}); // recorded without svc
    expect(admitted.ignoredResources).toEqual(["svc"]);

    // The answer lists svc2 (not yet wanted) and no longer svc: the agent stops svc.
    const answer = answerFor(indexCluster(after), admitted.heartbeat, NOW + 2_000, owned({ svc: "online" }));
    expect(answer.groups[0]!.resources).toEqual({ svc2: "offline" });
    state = acceptAnswer(state, answer, 2_000);
    p = decide(state, 2_010);
    expect(p.actions.map((a) => `${a.kind} ${a.resourceId}`)).toEqual(["stop svc"]);
  });

  it("keeps a resource the definition still has in a group the node may not own: the controller must see it still runs there", () => {
    // The deploy moved svc into group app2, whose only preferred owner is n2; n1 still runs it as part of app.
    const moved = load(`${NODES}groups:
  - id: app
    preferredOwners: [n1, n2]
    resources:
      - { id: other, type: command, start: [/opt/o/start], stop: [/opt/o/stop], check: [/opt/o/check] }
  - id: app2
    preferredOwners: [n2]
    resources:
      - { id: svc, type: command, start: [/opt/s/start], stop: [/opt/s/stop], check: [/opt/s/check] }
`);
    const body = JSON.stringify({ nodeId: "n1", bootId: BOOT, seq: 2, resources: { svc: "online" } });
    const admitted = admitHeartbeat(
      indexCluster(moved),
      { body, isBase64Encoded: false, callerArn: CALLER },
      "123456789012",
    );
    expect(admitted.heartbeat.resources).toEqual({ svc: "online" });
    expect(admitted.ignoredResources).toEqual([]);
    // And it is answered about app2 (svc offline for it), so it stops svc and confirms under app2's epoch.
    const answer = answerFor(
      indexCluster(moved),
      admitted.heartbeat,
      NOW,
      new Map([["app2", { owner: "n2", epoch: 1, desired: { svc: "offline" as const }, status: "moving" }]]),
    );
    expect(answer.groups.map((g) => [g.id, g.owner, g.epoch, g.resources])).toEqual([
      ["app", null, 0, { other: "offline" }],
      ["app2", "n2", 1, { svc: "offline" }],
    ]);
  });

  it("keeps the ids the node may report, and drops only the others", () => {
    const body = JSON.stringify({ nodeId: "n1", bootId: BOOT, seq: 2, resources: { svc: "offline", svc2: "online" } });
    const admitted = admitHeartbeat(
      indexCluster(after),
      { body, isBase64Encoded: false, callerArn: CALLER },
      "123456789012",
    );
    expect(admitted.heartbeat.resources).toEqual({ svc2: "online" });
    expect(admitted.ignoredResources).toEqual(["svc"]);
  });
});
