import { describe, expect, it } from "vitest";
import { BodyTooLargeError, MalformedHeartbeatError } from "../../../lib/core/heartbeat/errors.js";
import { MAX_HEARTBEAT_BYTES, parseHeartbeat } from "../../../lib/core/heartbeat/message.js";

const BOOT = "0f8b3a52-6f1e-4c4e-9a51-3b9d1c2e7a10";

function refusalOf(act: () => unknown): MalformedHeartbeatError {
  try {
    act();
  } catch (error) {
    if (error instanceof MalformedHeartbeatError) return error;
    throw error;
  }
  throw new Error("expected a MalformedHeartbeatError");
}

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

  describe("field messages", () => {
    const body = (fields: Record<string, unknown>) =>
      JSON.stringify({ nodeId: "db-a", bootId: BOOT, seq: 9, resources: {}, ...fields });

    it.each([
      [1.5, "must be a whole number"],
      [-0.5, "must be a whole number"],
      ["7", "must be a number"],
      [null, "must be a number"],
      [-1, "must not be negative"],
    ])("says what is wrong with seq %j, never that it is required", (seq, fragment) => {
      // Act
      const error = refusalOf(() => parseHeartbeat(body({ seq }), false));
      // Assess
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]?.path).toBe("seq");
      expect(error.problems[0]?.message).toContain(fragment);
      expect(error.message).not.toContain("required");
    });

    it("says what is wrong with an epoch that is not a whole number", () => {
      // Act
      const error = refusalOf(() => parseHeartbeat(body({ epochs: { postgres: 2.5 } }), false));
      // Assess
      expect(error.problems).toEqual([{ path: "epochs.postgres", message: "must be a whole number" }]);
    });
  });

  describe("reserved names", () => {
    const body = (fields: Record<string, unknown>) =>
      `{"nodeId": "db-a", "bootId": "${BOOT}", "seq": 9, ${Object.entries(fields)
        .map(([key, value]) => `"${key}": ${typeof value === "string" ? value : JSON.stringify(value)}`)
        .join(", ")}}`;

    it.each(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"])(
      "refuses a resource reported as %s, naming the field and saying the name is reserved",
      (name) => {
        // Prepare: written as text, so that __proto__ is a key of the body as JSON.parse reads it.
        const text = body({ resources: `{"pg": "online", "${name}": "online"}` });
        // Act
        const error = refusalOf(() => parseHeartbeat(text, false));
        // Assess
        expect(error.problems).toHaveLength(1);
        expect(error.problems[0]?.path).toBe(`resources.${name}`);
        expect(error.problems[0]?.message).toContain("reserved");
        expect(error.message).toContain(`resources.${name}`);
      },
    );

    it("refuses a reserved group name in epochs", () => {
      // Act
      const error = refusalOf(() => parseHeartbeat(body({ resources: "{}", epochs: '{"__proto__": 3}' }), false));
      // Assess
      expect(error.problems.map((p) => p.path)).toEqual(["epochs.__proto__"]);
      expect(error.problems[0]?.message).toContain("reserved");
    });

    it("refuses a reserved node id", () => {
      // Act
      const error = refusalOf(() =>
        parseHeartbeat(JSON.stringify({ nodeId: "constructor", bootId: BOOT, seq: 1, resources: {} }), false),
      );
      // Assess
      expect(error.problems.map((p) => p.path)).toEqual(["nodeId"]);
      expect(error.problems[0]?.message).toContain("reserved");
    });

    it("names the reserved key once, even when its state is also wrong", () => {
      // Act
      const error = refusalOf(() => parseHeartbeat(body({ resources: '{"toString": 5}' }), false));
      // Assess
      expect(error.problems.map((p) => p.path)).toEqual(["resources.toString"]);
    });
  });
});
