import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../../lib/core/definition/index.js";
import { leastLeaseForBudget } from "../../../lib/core/definition/rules/stop-budget.js";
import { maxStopBudgetMs } from "../../../lib/core/self-fencing.js";
import { changedAll, problemsOf } from "./fixture.js";

const pgMount = ["groups", 0, "resources", 1] as const;
const postgres = ["groups", 0, "resources", 2] as const;
const reportSvc = ["groups", 1, "resources", 0] as const;

describe("stopTimeout", () => {
  it("defaults to 1s on every agent-side resource and is read where written", () => {
    // Prepare
    const document = changedAll([[[...postgres, "stopTimeout"], "2s"]]);
    // Act
    const result = parseDefinition(document);
    // Assess
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const [postgresGroup, reportsGroup] = result.definition.groups;
    expect(postgresGroup?.resources.map((resource) => [resource.id, "stopTimeoutMs" in resource])).toEqual([
      ["data", false],
      ["pg-mount", true],
      ["postgres", true],
    ]);
    expect(postgresGroup?.resources[1]).toMatchObject({ stopTimeoutMs: 1_000 });
    expect(postgresGroup?.resources[2]).toMatchObject({ stopTimeoutMs: 2_000 });
    expect(reportsGroup?.resources[0]).toMatchObject({ stopTimeoutMs: 1_000 });
  });

  it.each([
    ["an ebs-volume", ["groups", 0, "resources", 0], "the controller moves an ebs-volume through AWS"],
    ["a dns-record", ["groups", 1, "resources", 1], "the controller moves a dns-record through AWS"],
  ] as const)("is refused on %s, with why and what to do", (_type, at, fragment) => {
    // Prepare
    const dns = { id: "d", type: "dns-record", hostedZoneId: "Z0A1B2C3D4E5F6", name: "reports.example.com" };
    const document = changedAll([
      [["groups", 1, "resources", 1], dns],
      [[...at, "stopTimeout"], "1s"],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([
      {
        path: `groups[${at[1]}].resources[${at[3]}].stopTimeout`,
        message: expect.stringContaining(fragment) as unknown,
      },
    ]);
    expect(problems[0]?.message).toContain("(mount, systemd, command)");
    expect(problems[0]?.message).toContain("remove stopTimeout here");
  });

  it("is not offered among the allowed keys of a controller-side resource", () => {
    // Prepare
    const document = changedAll([[["groups", 0, "resources", 0, "size"], 10]]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain("allowed keys in an ebs-volume resource");
    expect(problems[0]?.message).not.toContain("stopTimeout");
  });

  it("is offered among the allowed keys of an agent-side resource", () => {
    // Prepare
    const document = changedAll([[[...postgres, "size"], 10]]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems[0]?.message).toContain("stopTimeout");
  });

  it("may not be longer than the resource's pendingTimeout", () => {
    // Prepare: a timing long enough that only this rule is broken.
    const document = changedAll([
      [["timing"], { heartbeatInterval: "10s", leaseDuration: "10m", controllerTick: "10s" }],
      [[...postgres, "stopTimeout"], "4m"],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([
      {
        path: "groups[0].resources[2].stopTimeout",
        message:
          "4m is longer than the resource's pendingTimeout (3m), after which a stop counts as failed anyway; make stopTimeout at most 3m, or raise pendingTimeout.",
      },
    ]);
  });

  it("may equal a pendingTimeout written on the resource", () => {
    // Prepare
    const document = changedAll([
      [[...postgres, "stopTimeout"], "2s"],
      [[...postgres, "pendingTimeout"], "2s"],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([]);
  });
});

describe("the group stop budget", () => {
  it("accepts groups whose stop budgets fit the timing, counting only agent-side resources", () => {
    // Prepare: 1s + 2s = 3s of the 3500ms the default timing leaves; the volume, address and record do not count.
    const document = changedAll([
      [[...postgres, "stopTimeout"], "2s"],
      [["groups", 0, "resources", 3], { id: "ip", type: "elastic-ip", allocationId: "eipalloc-0a1b2c3d" }],
      [
        ["groups", 0, "resources", 4],
        { id: "dns", type: "dns-record", hostedZoneId: "Z0A1B2C3D4E5F6", name: "db.example.com" },
      ],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([]);
  });

  it("refuses a group whose resources need longer to stop than the timing leaves, saying what to change", () => {
    // Prepare
    const document = changedAll([[[...postgres, "stopTimeout"], "5s"]]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([
      {
        path: "groups[0].resources",
        message:
          'group "postgres" needs 6s to stop its resources one after another (pg-mount 1s (default) + postgres 5s = 6s), more than the timing allows: leaseDuration 10s minus the 500ms margin minus 3 heartbeat intervals (6s) leaves 3500ms. A node cut off from the cluster must stop its groups before its lease ends (self-fencing); raise timing.leaseDuration to at least 13s, or lower stopTimeout on these resources.',
      },
    ]);
  });

  it("is accepted once the lease it suggests is written", () => {
    // Prepare
    const document = changedAll([
      [[...postgres, "stopTimeout"], "5s"],
      [["timing"], { leaseDuration: "13s" }],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([]);
  });

  it("says when even the longest lease is not long enough", () => {
    // Prepare: 10m - 30s margin - 3 x 10s leaves 9m.
    const document = changedAll([
      [["timing"], { heartbeatInterval: "10s", leaseDuration: "10m", controllerTick: "10s" }],
      [[...pgMount, "stopTimeout"], "3m"],
      [[...pgMount, "pendingTimeout"], "10m"],
      [[...postgres, "stopTimeout"], "7m"],
      [[...postgres, "pendingTimeout"], "10m"],
    ]);
    // Act
    const problems = problemsOf(document);
    // Assess
    expect(problems).toEqual([
      {
        path: "groups[0].resources",
        message:
          'group "postgres" needs 10m to stop its resources one after another (pg-mount 3m + postgres 7m = 10m), more than the timing allows: leaseDuration 10m minus the 30s margin minus 3 heartbeat intervals (30s) leaves 9m. A node cut off from the cluster must stop its groups before its lease ends (self-fencing); lower stopTimeout on these resources (even the longest lease, 10m, leaves only 9m).',
      },
    ]);
  });

  it("holds the fast timing of the integration tests with 100ms per resource, and not with the default", () => {
    // Prepare
    const fast = { heartbeatInterval: "500ms", leaseDuration: "2s", controllerTick: "1s" };
    const withStops = changedAll([
      [["timing"], fast],
      [[...pgMount, "stopTimeout"], "100ms"],
      [[...postgres, "stopTimeout"], "100ms"],
      [[...reportSvc, "stopTimeout"], "100ms"],
    ]);
    // Act
    const accepted = problemsOf(withStops);
    const refused = problemsOf(changedAll([[["timing"], fast]]));
    // Assess
    expect(accepted).toEqual([]);
    expect(refused.map((problem) => problem.path)).toEqual(["groups[0].resources", "groups[1].resources"]);
    expect(refused[1]?.message).toContain("(report-svc 1s (default)), more than the timing allows");
  });

  it("is not checked against a timing that is itself refused, nor with an unreadable stopTimeout", () => {
    // Prepare
    const badTiming = changedAll([[["timing"], { heartbeatInterval: "5s", leaseDuration: "15s" }]]);
    const badStop = changedAll([
      [[...pgMount, "stopTimeout"], "3 s"],
      [[...postgres, "stopTimeout"], "3s"],
    ]);
    // Act
    const timingProblems = problemsOf(badTiming);
    const stopProblems = problemsOf(badStop);
    // Assess
    expect(timingProblems.map((problem) => problem.path)).toEqual(["timing.leaseDuration"]);
    expect(stopProblems.map((problem) => problem.path)).toEqual(["groups[0].resources[1].stopTimeout"]);
  });
});

describe("leastLeaseForBudget", () => {
  it("answers the shortest whole-second lease, not shorter than the current one, that holds the budget", () => {
    // Prepare
    const timings = fc.record({
      heartbeatIntervalMs: fc.integer({ min: 500, max: 60_000 }),
      controllerTickMs: fc.constant(1_000),
    });
    const cases = fc.tuple(timings, fc.integer({ min: 1, max: 600_000 }));
    const holds = fc.property(cases, ([timing, budget]) => {
      const start = { ...timing, leaseDurationMs: 4 * timing.heartbeatIntervalMs };
      const lease = leastLeaseForBudget(start, budget);
      const budgetAt = (leaseDurationMs: number) => maxStopBudgetMs({ ...start, leaseDurationMs });
      if (lease === undefined) return budgetAt(600_000) < budget;
      const shortest = lease - 1_000 < start.leaseDurationMs || budgetAt(lease - 1_000) < budget;
      return lease % 1_000 === 0 && lease >= start.leaseDurationMs && budgetAt(lease) >= budget && shortest;
    });
    // Act
    const run = () => fc.assert(holds);
    // Assess
    expect(run).not.toThrow();
  });
});
