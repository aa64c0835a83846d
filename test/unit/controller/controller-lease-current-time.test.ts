import { describe, expect, it } from "vitest";
import { runPass } from "../../../lib/controller/pass.js";
import { Simulation } from "../../support/simulation.js";

/**
 * A pass acts only while it holds the controller lease with more than half its term left, judged at the moment it
 * is about to act, not when the pass began: a slow read of the table (a throttled, retried Query) must not let it
 * act on a lease that is about to end. examples/cluster.yaml: controllerTick 2 s, so the lease lasts
 * max(15 s, 2 × 2 s + 5 s) = 15 s and is renewed when 7.5 s or less are left.
 */
describe("the controller lease a pass acts under", () => {
  it("is judged and renewed by the clock when the pass acts, not when it began", async () => {
    // Prepare: nodes heartbeating, no group placed yet (the pass has writes to make).
    const sim = new Simulation();
    sim.heartbeat();
    const start = sim.now;
    // This controller holds the lease until start + 8 s: more than half its term left when the pass begins.
    sim.store.lease = { holder: "inv-1", expiresAt: start + 8_000, version: 3 };
    // The snapshot read takes 5 s: when the pass acts, 3 s are left, less than half the 15 s term.
    const deps = sim.dependencies("inv-1");
    const store = new Proxy(deps.store, {
      get(target, property, receiver) {
        if (property === "readSnapshot")
          return async () => {
            const snapshot = await target.readSnapshot();
            sim.now += 5_000;
            return snapshot;
          };
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    // Act
    const summary = await runPass({ ...deps, store });
    // Assess: the lease was renewed before the first write, from the time of the write.
    expect(summary.lookedOnly).toBe(false);
    expect(sim.store.lease).toMatchObject({ holder: "inv-1", expiresAt: start + 5_000 + 15_000 });
  });
});
