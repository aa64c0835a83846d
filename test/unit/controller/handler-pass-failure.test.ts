import { describe, expect, it } from "vitest";
import { AwsUnavailableError } from "../../../lib/core/aws-errors.js";
import { createControllerHandler } from "../../../lib/handlers/controller.js";
import { Simulation } from "../../support/simulation.js";

// A scheduled invocation is the only controller for up to a minute (the next one starts 60 s later, and
// scheduled events are not retried). A pass that fails on a transient AWS error (a throttled or lost table
// answer) must not end it: the next tick reads everything again, as a new invocation would.

function handlerFailingOnce() {
  const sim = new Simulation();
  const deps = sim.dependencies("inv-1");
  let reads = 0;
  const store = new Proxy(deps.store, {
    get(target, property, receiver) {
      if (property === "readSnapshot") {
        return () => {
          reads++;
          if (reads === 1) return Promise.reject(new AwsUnavailableError("DynamoDB Query", "the answer was lost"));
          return target.readSnapshot();
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const errors: string[] = [];
  const handler = createControllerHandler({
    passDependencies: () => ({
      ...deps,
      store,
      logger: { ...deps.logger, error: (message: string) => void errors.push(message) },
    }),
    metrics: {
      addMetric: () => undefined,
      publishStoredMetrics: () => undefined,
      singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }),
    },
    detailedMetrics: true,
    eventBus: { publish: () => Promise.resolve() },
    sleep: (ms) => {
      sim.now += ms;
      return Promise.resolve();
    },
  });
  /** Lambda's context: the function's 70 s timeout (lib/infra/controller-function.ts) from now. */
  const context = () => {
    const deadline = sim.now + 70_000;
    return { awsRequestId: "inv-1", getRemainingTimeInMillis: () => deadline - sim.now };
  };
  return { sim, handler, errors, reads: () => reads, context };
}

describe("a scheduled controller invocation whose pass fails", () => {
  it("logs it and goes on with the next tick, ending after the first pass that finds nothing in flight", async () => {
    // Prepare
    const { sim, handler, errors, reads, context } = handlerFailingOnce();
    // Act
    const result = await handler({ time: new Date(sim.now).toISOString() }, context());
    // Assess: the first pass failed; the second, one tick later, read a quiet cluster (no move in flight) and the
    // invocation ended there (the heartbeat function wakes the controller when there is work).
    expect(errors).toEqual(["controller pass failed; the next tick tries again"]);
    expect(reads()).toBe(2);
    expect(result).toMatchObject({ passes: 2 });
  });

  it("still fails a manual invocation (an operator's `passes`) on the error", async () => {
    // Prepare
    const { handler, context } = handlerFailingOnce();
    // Act
    const run = handler({ passes: 3 }, context());
    // Assess
    await expect(run).rejects.toBeInstanceOf(AwsUnavailableError);
  });
});
