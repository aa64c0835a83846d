import { describe, expect, it } from "vitest";
import { simulate } from "../../../lib/sim/simulate.js";
import { exampleDefinition } from "../../support/example-cluster.js";

// `baton simulate` on examples/cluster.yaml: db-a (EC2) owns postgres, office-1 owns reports; db-b is the
// other candidate of both. Timing: lease 10 s, grace max(2 s, 10 s / 5) = 2 s, a pass every 2 s.

describe("simulate (the simulation's world, from a definition alone)", () => {
  it("failing db-a moves postgres to db-b, fencing db-a before the volume moves; reports stays", async () => {
    // Act
    const report = await simulate(exampleDefinition(), { faults: [{ kind: "fail", node: "db-a" }] });
    // Assess
    const postgres = report.groups.find((g) => g.id === "postgres")!;
    expect(postgres).toMatchObject({
      outcome: "moved",
      before: { owner: "db-a" },
      after: { owner: "db-b", status: "online" },
    });
    expect(report.fenced).toEqual(["db-a"]);
    const texts = postgres.phases.map((p) => p.text);
    const index = (prefix: string) => texts.findIndex((t) => t.startsWith(prefix));
    // In order: decided, fenced, volume detached then attached to db-b, the services, the address and the record.
    const order = [
      "failover decided: db-a -> db-b",
      "done: fence",
      "done: detach-volume",
      "done: attach-volume",
      "done: await-online (resourceId pg-mount",
      "done: await-online (resourceId postgres",
      "done: associate-address",
      "done: upsert-record",
      "online on db-b",
    ].map(index);
    expect(order.filter((i) => i < 0)).toEqual([]);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Not before db-a's silence reaches lease + grace (10 s + 2 s, written out), counted from its last heartbeat,
    // which is at most one interval (2 s) before the failure.
    expect(postgres.phases[0]!.atMs).toBeGreaterThanOrEqual(12_000 - 2_000);
    expect(report.groups.find((g) => g.id === "reports")).toMatchObject({
      outcome: "stayed",
      after: { owner: "office-1" },
    });
    expect(report.violations).toEqual([]);
  });

  it("failing db-a with db-b's agent stopped: postgres has no candidate and waits, offline; nothing is fenced onto a node that is down", async () => {
    // Act: db-b leaves (its agent stopped: a planned leave, which the mass-failure guard does not count), db-a fails.
    const report = await simulate(exampleDefinition(), {
      faults: [
        { kind: "fail", node: "db-a" },
        { kind: "stop", node: "db-b" },
      ],
    });
    // Assess
    const postgres = report.groups.find((g) => g.id === "postgres")!;
    expect(postgres.outcome).toBe("waiting");
    expect(postgres.after.status).not.toBe("online");
    expect(postgres.after.reason).toMatch(/no other preferred owner is up/);
    expect(report.groups.find((g) => g.id === "reports")).toMatchObject({
      outcome: "stayed",
      after: { owner: "office-1" },
    });
    expect(report.violations).toEqual([]);
  });

  it("draining db-a (`baton drain`): postgres leaves it as a planned move, db-a's own stop awaited, nothing fenced; a second drain is refused as the command is", async () => {
    // Act
    const report = await simulate(exampleDefinition(), {
      faults: [
        { kind: "drain", node: "db-a" },
        { kind: "drain", node: "db-a" },
      ],
    });
    // Assess
    const postgres = report.groups.find((g) => g.id === "postgres")!;
    expect(postgres).toMatchObject({ outcome: "moved", after: { owner: "db-b", status: "online" } });
    const texts = postgres.phases.map((p) => p.text);
    expect(texts[0]).toMatch(/^failover decided: db-a -> db-b, epoch 2 \(node db-a is drained\)/);
    const stopped = texts.findIndex((t) => t.startsWith("done: await-offline (resourceId postgres, nodeId db-a"));
    const detached = texts.findIndex((t) => t.startsWith("done: detach-volume"));
    expect(stopped).toBeGreaterThan(0);
    expect(detached).toBeGreaterThan(stopped);
    expect(report.fenced).toEqual([]);
    expect(report.timeline.map((l) => l.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^baton drain db-a refused: db-a is already drained/)]),
    );
    expect(report.violations).toEqual([]);
  });

  it("refuses a node the definition does not have, naming the nodes it has", async () => {
    await expect(simulate(exampleDefinition(), { faults: [{ kind: "fail", node: "db-z" }] })).rejects.toThrow(
      '--fail db-z: no node "db-z" in the definition (nodes: db-a, db-b, office-1)',
    );
  });
});
