import { describe, expect, it } from "vitest";
import { BodyTooLargeError, MalformedHeartbeatError } from "../../../lib/core/heartbeat/errors.js";
import { MAX_HEARTBEAT_BYTES, parseHeartbeat } from "../../../lib/core/heartbeat/message.js";

const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";

function problemsOf(act: () => unknown): string[] {
  try {
    act();
  } catch (error) {
    if (error instanceof MalformedHeartbeatError) return error.problems.map((p) => p.path);
    throw error;
  }
  throw new Error("expected a MalformedHeartbeatError");
}

describe("parseHeartbeat", () => {
  it("returns the heartbeat with the bootId in lower case and unknown top-level fields dropped", () => {
    // Prepare
    const body = JSON.stringify({
      nodeId: "db-a",
      bootId: BOOT.toUpperCase(),
      seq: 3,
      resources: { x: "online" },
      v: 2,
    });
    // Act
    const heartbeat = parseHeartbeat(body, false);
    // Assess
    expect(heartbeat).toEqual({ nodeId: "db-a", bootId: BOOT, seq: 3, resources: { x: "online" }, leaving: false });
  });

  it("reads a base64-encoded body", () => {
    // Prepare
    const body = Buffer.from(JSON.stringify({ nodeId: "db-a", bootId: BOOT, seq: 0, resources: {} })).toString(
      "base64",
    );
    // Act
    const heartbeat = parseHeartbeat(body, true);
    // Assess
    expect(heartbeat.seq).toBe(0);
  });

  it("names every bad field at once", () => {
    // Act
    const paths = problemsOf(() =>
      parseHeartbeat(JSON.stringify({ nodeId: 5, seq: 1.5, resources: { a: "up" } }), false),
    );
    // Assess
    expect(paths.sort()).toEqual(["bootId", "nodeId", "resources.a", "seq"]);
  });

  it("says a missing field is required", () => {
    // Act
    const act = () => parseHeartbeat(JSON.stringify({ nodeId: "db-a", bootId: BOOT, resources: {} }), false);
    // Assess
    expect(act).toThrow(/seq is required/);
  });

  it.each([undefined, "", "nul", "42", "null"])("refuses a body that is not a JSON object: %j", (body) => {
    // Act
    const act = () => parseHeartbeat(body, false);
    // Assess
    expect(act).toThrow(MalformedHeartbeatError);
  });

  it("refuses a body over the limit by its size in bytes, not characters", () => {
    // Prepare: multi-byte characters make the byte count exceed the character count.
    const body = JSON.stringify({ nodeId: "é".repeat(MAX_HEARTBEAT_BYTES / 2), bootId: BOOT, seq: 1, resources: {} });
    // Act
    const act = () => parseHeartbeat(body, false);
    // Assess
    expect(body.length).toBeLessThan(MAX_HEARTBEAT_BYTES + 100);
    expect(act).toThrow(BodyTooLargeError);
  });

  describe("leaving", () => {
    const body = (fields: Record<string, unknown>) =>
      JSON.stringify({ nodeId: "db-a", bootId: BOOT, seq: 9, resources: {}, ...fields });

    it("is read when every reported resource is offline or failed", () => {
      // Act
      const heartbeat = parseHeartbeat(body({ leaving: true, resources: { a: "offline", b: "failed" } }), false);
      // Assess
      expect(heartbeat).toMatchObject({ leaving: true, resources: { a: "offline", b: "failed" } });
    });

    it("is refused while a resource is not stopped, naming leaving and each such resource", () => {
      // Prepare
      const text = body({ leaving: true, resources: { a: "offline", b: "online", c: "stopping", d: "failed" } });
      // Act
      let error: MalformedHeartbeatError | undefined;
      try {
        parseHeartbeat(text, false);
      } catch (caught) {
        if (caught instanceof MalformedHeartbeatError) error = caught;
      }
      // Assess
      expect(error?.problems).toEqual([
        {
          path: "leaving",
          message: "is true, but a leaving node must report every resource offline, fenced or failed: stop b, c first",
        },
        {
          path: "resources.b",
          message: 'is "online" in a leaving heartbeat: stop it first, then report it offline, fenced or failed',
        },
        {
          path: "resources.c",
          message: 'is "stopping" in a leaving heartbeat: stop it first, then report it offline, fenced or failed',
        },
      ]);
      expect(error?.message).toContain("stop b, c first");
    });

    it("must be a boolean", () => {
      // Act
      const paths = problemsOf(() => parseHeartbeat(body({ leaving: "yes" }), false));
      // Assess
      expect(paths).toEqual(["leaving"]);
    });

    it("is false when left out, and false allows any state", () => {
      // Act
      const omitted = parseHeartbeat(body({ resources: { a: "online" } }), false);
      const explicit = parseHeartbeat(body({ leaving: false, resources: { a: "online" } }), false);
      // Assess
      expect([omitted.leaving, explicit.leaving]).toEqual([false, false]);
    });
  });
});
