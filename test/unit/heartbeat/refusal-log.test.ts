import { describe, expect, it } from "vitest";
import { MAX_HEARTBEAT_BYTES } from "../../../lib/core/heartbeat/message.js";
import type { HeartbeatStore } from "../../../lib/core/heartbeat/store.js";
import { createHeartbeatHandler } from "../../../lib/handlers/heartbeat.js";
import { CALLERS, heartbeatBody, heartbeatEvent, LAMBDA_CONTEXT } from "../../support/heartbeat-events.js";
import { exampleIndex } from "../../support/example-cluster.js";

const untouched: HeartbeatStore = {
  recordHeartbeat: () => Promise.reject(new Error("a refused heartbeat must not be written")),
  readOwnership: () => Promise.reject(new Error("a refused heartbeat must not be read for")),
};

describe("the heartbeat handler's log of a refused heartbeat", () => {
  it("keeps at most 512 bytes of what the caller wrote, however much the refusal quotes", async () => {
    // Prepare: a body just under the limit, made of resource names the refusal quotes one by one.
    const warnings: Record<string, unknown>[] = [];
    const logger = {
      debug: () => undefined,
      warn: (_message: string, attributes: Record<string, unknown>) => warnings.push(attributes),
      error: () => undefined,
    };
    const handler = createHeartbeatHandler({
      index: exampleIndex(),
      store: untouched,
      clock: { now: () => 0 },
      logger,
      metrics: { addMetric: () => undefined, publishStoredMetrics: () => undefined },
    });
    const resources: Record<string, string> = {};
    for (let i = 0; JSON.stringify(resources).length < MAX_HEARTBEAT_BYTES - 1_000; i++) {
      resources[`caller-text-${i}-${"x".repeat(40)}`] = "bogus";
    }
    // Act
    const response = await handler(
      heartbeatEvent(heartbeatBody("db-a", { resources }), CALLERS["db-a"]),
      LAMBDA_CONTEXT,
    );
    // Assess: the caller is told everything; the log keeps a bounded line.
    expect(response.statusCode).toBe(400);
    expect(response.body!.length).toBeGreaterThan(10 * 1024);
    expect(warnings).toHaveLength(1);
    const reason = String(warnings[0]?.reason);
    expect(reason).toMatch(/^The heartbeat has \d+ bad fields: /);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(512 + 64);
    expect(reason).toMatch(/\(\d+ more bytes not logged\)$/);
  });
});
