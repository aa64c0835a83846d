import { describe, expect, it } from "vitest";
import { judgedNodesItem, readJudgedNodesItem } from "../../../lib/aws/records/control-items.js";
import type { JudgedNodes } from "../../../lib/core/controller/records.js";

describe("the node judgements item's codec (controller#nodes)", () => {
  it("reads back what it writes, keyed in the state partition", () => {
    // Prepare
    const record: JudgedNodes = {
      version: 3,
      nodes: {
        "db-a": { state: "down", bootId: "9b2f6c1e-0000-4000-8000-000000000001", since: 1_000 },
        "db-b": { state: "leaving", bootId: "b-2", since: 2_000 },
        "office-1": { state: "up", bootId: "b-3", since: 3_000 },
      },
    };
    // Act
    const item = judgedNodesItem(record);
    // Assess
    expect(item).toMatchObject({ pk: "state", sk: "controller#nodes", version: 3 });
    expect(readJudgedNodesItem(item)).toEqual(record);
  });

  it("leaves out an entry that does not read as a judgement (that node is judged anew), and reads junk as none", () => {
    // Prepare: a hand edit, or a later Baton's entries.
    const item = {
      version: 2,
      nodes: JSON.stringify({
        good: ["up", "b-1", 5],
        state: ["sleeping", "b-1", 5],
        boot: ["up", 7, 5],
        since: ["down", "b-1", "yesterday"],
        short: ["up"],
        object: { state: "up" },
      }),
    };
    // Act
    const read = readJudgedNodesItem(item);
    // Assess
    expect(read.version).toBe(2);
    expect({ ...read.nodes }).toEqual({ good: { state: "up", bootId: "b-1", since: 5 } });
    expect(readJudgedNodesItem({ nodes: "{not json" })).toEqual({ version: 0, nodes: {} });
    expect(readJudgedNodesItem({})).toEqual({ version: 0, nodes: {} });
  });
});
