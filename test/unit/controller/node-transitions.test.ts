import { describe, expect, it } from "vitest";
import type { NodeHealth } from "../../../lib/core/controller/detection.js";
import { nodeTransitions } from "../../../lib/core/controller/node-transitions.js";
import type { JudgedNodes } from "../../../lib/core/controller/records.js";
import { nodeHealth } from "../../support/node-health.js";

// The node changes a pass tells (cluster log, EventBridge), from its nodes' health against the judgements stored by
// the pass before it, in whatever invocation. Every expectation is written out from the inputs.

/** A node heard at `heardAt` from `bootId`: up, down (silent past lease + grace) or leaving. */
function node(
  id: string,
  state: "up" | "down" | "leaving" | "never",
  bootId = "boot-1",
  heardAt = 1_000,
  drained = false,
): [string, NodeHealth] {
  if (state === "never") return [id, nodeHealth(id, { up: false, lastHeardAt: null, report: null })];
  return [
    id,
    nodeHealth(id, {
      up: state === "up",
      leaving: state === "leaving",
      lastHeardAt: heardAt,
      report: { nodeId: id, bootId, seq: 7 },
      ...(drained ? { drained: true } : {}),
    }),
  ];
}

const stored = (version: number, nodes: JudgedNodes["nodes"]): JudgedNodes => ({ version, nodes });

describe("node transitions", () => {
  it("nothing changed: no event and nothing to write (an idle pass writes nothing)", () => {
    // Prepare
    const previous = stored(4, {
      a: { state: "up", bootId: "boot-1", since: 100 },
      b: { state: "down", bootId: "boot-9", since: 200 },
    });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "up"), node("b", "down", "boot-9")]), 50_000);
    // Assess
    expect(out).toEqual({ record: null, events: [] });
  });

  it("up, then silent past lease + grace: node-down, stored as down since this pass", () => {
    // Prepare
    const previous = stored(4, {
      a: { state: "up", bootId: "boot-1", since: 100 },
      b: { state: "up", bootId: "boot-2", since: 100 },
    });
    // Act
    const out = nodeTransitions(
      previous,
      new Map([node("a", "down", "boot-1", 30_000), node("b", "up", "boot-2")]),
      45_000,
    );
    // Assess
    expect(out.events).toEqual([
      {
        type: "node-down",
        nodeId: "a",
        bootId: "boot-1",
        previousBootId: "boot-1",
        lastHeardAt: 30_000,
        previous: { state: "up", since: 100 },
        drained: false,
      },
    ]);
    expect(out.record).toEqual({
      version: 5,
      nodes: {
        a: { state: "down", bootId: "boot-1", since: 45_000 },
        b: { state: "up", bootId: "boot-2", since: 100 },
      },
    });
  });

  it("down, then heard again in a new boot: node-up, naming the state it left and since when", () => {
    // Prepare
    const previous = stored(5, { a: { state: "down", bootId: "boot-1", since: 45_000 } });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "up", "boot-2", 90_000)]), 91_000);
    // Assess
    expect(out.events).toEqual([
      {
        type: "node-up",
        nodeId: "a",
        bootId: "boot-2",
        previousBootId: "boot-1",
        lastHeardAt: 90_000,
        previous: { state: "down", since: 45_000 },
        drained: false,
      },
    ]);
    expect(out.record).toEqual({ version: 6, nodes: { a: { state: "up", bootId: "boot-2", since: 91_000 } } });
  });

  it("a leaving heartbeat: node-left; its silence afterwards is no second change", () => {
    // Prepare
    const previous = stored(1, { a: { state: "up", bootId: "boot-1", since: 0 } });
    // Act
    const left = nodeTransitions(previous, new Map([node("a", "leaving")]), 2_000);
    const later = nodeTransitions(left.record, new Map([node("a", "leaving")]), 60_000);
    // Assess
    expect(left.events.map((e) => [e.type, e.nodeId])).toEqual([["node-left", "a"]]);
    expect(left.record).toEqual({ version: 2, nodes: { a: { state: "leaving", bootId: "boot-1", since: 2_000 } } });
    expect(later).toEqual({ record: null, events: [] });
  });

  it("up in a new boot without being judged down between: node-restarted", () => {
    // Prepare
    const previous = stored(3, { a: { state: "up", bootId: "boot-1", since: 0 } });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "up", "boot-2")]), 8_000);
    // Assess
    expect(out.events).toMatchObject([
      { type: "node-restarted", nodeId: "a", bootId: "boot-2", previousBootId: "boot-1" },
    ]);
    expect(out.record?.nodes.a).toEqual({ state: "up", bootId: "boot-2", since: 8_000 });
  });

  it("nothing stored yet (a new cluster, or the first pass that keeps judgements): each node up is told up; a node down or never heard is not", () => {
    // Act
    const out = nodeTransitions(
      null,
      new Map([node("a", "up"), node("b", "down", "boot-3"), node("c", "never"), node("d", "leaving", "boot-4")]),
      5_000,
    );
    // Assess
    expect(out.events).toEqual([
      {
        type: "node-up",
        nodeId: "a",
        bootId: "boot-1",
        previousBootId: null,
        lastHeardAt: 1_000,
        previous: null,
        drained: false,
      },
    ]);
    expect(out.record).toEqual({
      version: 1,
      nodes: {
        a: { state: "up", bootId: "boot-1", since: 5_000 },
        b: { state: "down", bootId: "boot-3", since: 5_000 },
        d: { state: "leaving", bootId: "boot-4", since: 5_000 },
      },
    });
  });

  it("changes between down and leaving, and a new boot while not up, are stored without a word", () => {
    // Prepare
    const previous = stored(2, {
      a: { state: "down", bootId: "boot-1", since: 0 },
      b: { state: "leaving", bootId: "boot-1", since: 0 },
    });
    // Act
    const out = nodeTransitions(
      previous,
      new Map([node("a", "leaving", "boot-2"), node("b", "down", "boot-1")]),
      9_000,
    );
    // Assess
    expect(out.events).toEqual([]);
    expect(out.record).toEqual({
      version: 3,
      nodes: {
        a: { state: "leaving", bootId: "boot-2", since: 9_000 },
        b: { state: "down", bootId: "boot-1", since: 9_000 },
      },
    });
  });

  it("a drained node's changes are told, marked drained", () => {
    // Prepare
    const previous = stored(2, { a: { state: "up", bootId: "boot-1", since: 0 } });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "down", "boot-1", 1_000, true)]), 20_000);
    // Assess
    expect(out.events).toMatchObject([{ type: "node-down", nodeId: "a", drained: true }]);
  });

  it("a node the definition no longer has is dropped from the item without a word", () => {
    // Prepare
    const previous = stored(7, {
      a: { state: "up", bootId: "boot-1", since: 0 },
      gone: { state: "up", bootId: "boot-1", since: 0 },
    });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "up")]), 3_000);
    // Assess
    expect(out).toEqual({
      record: { version: 8, nodes: { a: { state: "up", bootId: "boot-1", since: 0 } } },
      events: [],
    });
  });

  it("a node no longer heard of (its liveness item gone) is dropped from the item without a word", () => {
    // Prepare
    const previous = stored(7, {
      a: { state: "up", bootId: "boot-1", since: 0 },
      wiped: { state: "down", bootId: "boot-1", since: 0 },
    });
    // Act
    const out = nodeTransitions(previous, new Map([node("a", "up"), node("wiped", "never")]), 3_000);
    // Assess
    expect(out).toEqual({
      record: { version: 8, nodes: { a: { state: "up", bootId: "boot-1", since: 0 } } },
      events: [],
    });
  });
});
