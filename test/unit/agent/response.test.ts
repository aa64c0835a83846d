import { describe, expect, it } from "vitest";
import { parseAnswer, type AnswerContext } from "../../../lib/core/agent/answer-check.js";
import { BOOT } from "./fakes.js";
import { answerBody, PG_SPECS, REPORTS, wireGroup } from "./fixture.js";

const SENT = { nodeId: "db-a", bootId: BOOT, seq: 42 };
const CONTEXT: AnswerContext = { ...SENT, cluster: "orders-db", epochs: new Map([["postgres", 3]]) };

function good(): Record<string, unknown> {
  return answerBody(SENT, [wireGroup("postgres", PG_SPECS, "db-a", 3), wireGroup("reports", [REPORTS], "db-b", 1)]);
}

type Loose = Record<string, unknown>;

/** The answer's shape, loose enough for a test to break it anywhere. */
type WireResource = Loose & { restart: Loose };
type WireGroup = Loose & {
  resources: Record<string, string>;
  agentResources: [WireResource, WireResource, WireResource];
};

/** The answer's shape (two groups, three resources in the first), loose enough for a test to break it anywhere. */
interface WireAnswer extends Loose {
  groups: [WireGroup, WireGroup];
}

/** The answer with `change` applied to a deep copy. */
function hostile(change: (answer: WireAnswer) => void): unknown {
  const answer = structuredClone(good()) as WireAnswer;
  change(answer);
  return answer;
}

function pathsOf(body: unknown, context: AnswerContext = CONTEXT): string[] {
  const result = parseAnswer(body, context);
  return result.ok ? [] : result.problems.map((p) => p.path);
}

describe("parseAnswer", () => {
  it("accepts the heartbeat function's answer, the bootId in any case", () => {
    // Prepare
    const body = { ...good(), bootId: BOOT.toUpperCase() };
    // Act
    const result = parseAnswer(body, CONTEXT);
    // Assess
    expect(result.ok).toBe(true);
    expect(result.ok && result.answer.groups[0]?.agentResources.map((r) => r.id)).toEqual([
      "pg-mount",
      "postgres",
      "exporter",
    ]);
  });

  it("ignores unknown fields at the top and in groups, as the protocol does for requests", () => {
    // Act
    const paths = pathsOf(
      hostile((a) => {
        a.newField = 1;
        a.groups[0].note = "x";
      }),
    );
    // Assess
    expect(paths).toEqual([]);
  });

  it.each<[string, (answer: WireAnswer) => void, string]>([
    ["a wrong type", (a) => (a.leaseDurationMs = "10s"), "leaseDurationMs"],
    ["a missing field", (a) => delete a.groups[0].epoch, "groups[0].epoch"],
    ["a fractional epoch", (a) => (a.groups[0].epoch = 3.5), "groups[0].epoch"],
    ["an unknown desired state", (a) => (a.groups[0].resources.postgres = "starting"), "groups[0].resources.postgres"],
    [
      "a resource that is not one of the group's agentResources",
      (a) => (a.groups[0].resources["reports"] = "online"),
      "groups[0].resources.reports",
    ],
    ["an agent resource without a desired state", (a) => delete a.groups[0].resources.exporter, "groups[0].resources"],
    [
      "an unknown field inside agentResources",
      (a) => (a.groups[0].agentResources[1].environment = { PGDATA: "/tmp" }),
      "groups[0].agentResources[1].environment",
    ],
    [
      "an unknown field inside restart",
      (a) => (a.groups[0].agentResources[0].restart.x = 1),
      "groups[0].agentResources[0].restart.x",
    ],
    [
      "an unknown resource type",
      (a) => (a.groups[0].agentResources[0].type = "ebs-volume"),
      "groups[0].agentResources[0].type",
    ],
    [
      "a command whose program is not an absolute path",
      (a) => (a.groups[0].agentResources[2].start = ["start.sh"]),
      "groups[0].agentResources[2].start",
    ],
    [
      "a command that climbs out of its directory",
      (a) => (a.groups[0].agentResources[2].stop = ["/opt/exporter/../../bin/rm", "-rf", "/"]),
      "groups[0].agentResources[2].stop",
    ],
    ["an empty command", (a) => (a.groups[0].agentResources[2].check = []), "groups[0].agentResources[2].check"],
    [
      "a dependsOn naming an unknown id",
      (a) => (a.groups[0].agentResources[1].dependsOn = ["nope"]),
      "groups[0].agentResources[1].dependsOn[0]",
    ],
    [
      "a dependsOn naming a resource later in start order",
      (a) => (a.groups[0].agentResources[0].dependsOn = ["postgres"]),
      "groups[0].agentResources[0].dependsOn[0]",
    ],
    [
      "a mount path that is not absolute",
      (a) => (a.groups[0].agentResources[0].path = "data"),
      "groups[0].agentResources[0].path",
    ],
    ["another node's id", (a) => (a.nodeId = "db-b"), "nodeId"],
    ["another boot", (a) => (a.bootId = "11111111-2222-3333-4444-555555555555"), "bootId"],
    ["another seq", (a) => (a.seq = 41), "seq"],
    ["another cluster", (a) => (a.cluster = "payments"), "cluster"],
    [
      "a resource online in a group another node owns",
      (a) => (a.groups[1].resources.reports = "online"),
      "groups[1].resources.reports",
    ],
    ["a group listed twice", (a) => a.groups.push(a.groups[0]), "groups[2].id"],
    [
      "a resource id in two groups",
      (a) => {
        a.groups[1].agentResources[0].id = "postgres";
        a.groups[1].resources = { postgres: "offline" };
      },
      "groups[1].agentResources[0].id",
    ],
    ["a heartbeat interval below the definition's limit", (a) => (a.heartbeatIntervalMs = 1), "heartbeatIntervalMs"],
    ["a lease shorter than four intervals", (a) => (a.leaseDurationMs = 7_000), "leaseDurationMs"],
    [
      "a group whose stop budget the lease cannot hold",
      (a) => (a.groups[0].agentResources[0].stopTimeoutMs = 3_000),
      "groups[0].agentResources",
    ],
    [
      "a stopTimeout above the pendingTimeout",
      (a) => (a.groups[0].agentResources[0].pendingTimeoutMs = 500),
      "groups[0].agentResources[0].stopTimeoutMs",
    ],
  ])("refuses %s", (_case, change, path) => {
    // Act
    const paths = pathsOf(hostile(change));
    // Assess
    expect(paths).toContain(path);
  });

  it("refuses only the group whose epoch went back, and accepts the rest of the answer", () => {
    // Act
    const result = parseAnswer(
      hostile((a) => (a.groups[0].epoch = 2)),
      CONTEXT,
    );
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.answer.groups.map((g) => g.id)).toEqual(["reports"]);
    expect(result.refusedGroups).toEqual([
      {
        groupId: "postgres",
        reason: "epoch",
        path: "groups[0].epoch",
        message: "went back from 3 to 2; epochs only grow",
      },
    ]);
  });

  it("refuses the whole answer, the lower epoch included, when anything else is wrong too", () => {
    // Act
    const paths = pathsOf(hostile((a) => ((a.groups[0].epoch = 2), (a.seq = 41))));
    // Assess
    expect(paths).toEqual(["seq", "groups[0].epoch"]);
  });

  it.each([[null], ["ok"], [42], [[]], [undefined]])("refuses a body that is not an object: %j", (body) => {
    // Act
    const result = parseAnswer(body, CONTEXT);
    // Assess
    expect(result.ok).toBe(false);
  });

  it("accepts any cluster name and epochs on the first answer of a run", () => {
    // Act
    const result = parseAnswer(
      hostile((a) => (a.cluster = "payments")),
      SENT,
    );
    // Assess
    expect(result.ok).toBe(true);
  });
});
