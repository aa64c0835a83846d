import { beforeAll, describe, expect, it } from "vitest";
import type { ControllerEvent } from "../../lib/core/controller/events.js";
import { type Harness, beatFor, startPlacedHarness } from "./support/controller-harness.js";

let h: Harness;
let state: Awaited<ReturnType<typeof startPlacedHarness>>["state"];

beforeAll(async () => {
  ({ h, state } = await startPlacedHarness());
});

describe("two controller passes at once (moto)", () => {
  it("start one failover between them, never two", async () => {
    // Prepare: db-a falls silent past lease + grace while the others heartbeat.
    await beatFor(h, ["db-b", "office-1"], 4_500);
    // Act
    const results = await Promise.all([h.pass("one"), h.pass("two")]);
    // Assess
    const events: ControllerEvent[] = results.flatMap((r) => ("events" in r ? r.events : []));
    expect(events.filter((e) => e.type === "failover-started")).toMatchObject([{ groupId: "postgres", epoch: 2 }]);
    expect(results.some((r) => "lookedOnly" in r && !r.lookedOnly)).toBe(true);
    expect(await state.group("postgres")).toMatchObject({ owner: "db-b", epoch: 2 });
  });
});
