import { describe, expect, it } from "vitest";
import { admitHeartbeat } from "../../../lib/core/heartbeat/admit.js";
import {
  BodyTooLargeError,
  CallerNotNodeError,
  MalformedHeartbeatError,
  UnknownNodeError,
} from "../../../lib/core/heartbeat/errors.js";
import { ACCOUNT, CALLERS, heartbeatBody } from "../../support/heartbeat-events.js";
import { exampleIndex } from "../../support/example-cluster.js";

const index = exampleIndex();
const request = (body: unknown, callerArn: string | undefined = CALLERS["db-a"]) => ({
  body: typeof body === "string" ? body : JSON.stringify(body),
  isBase64Encoded: false,
  callerArn,
});

describe("admitHeartbeat", () => {
  it("admits a well-formed heartbeat signed by its node", () => {
    // Act
    const admitted = admitHeartbeat(
      index,
      request(heartbeatBody("db-a", { resources: { postgres: "online" } })),
      ACCOUNT,
    );
    // Assess
    expect(admitted.node.id).toBe("db-a");
    expect(admitted.heartbeat.resources).toEqual({ postgres: "online" });
  });

  it("checks in protocol order: size, shape, node, signer", () => {
    // Prepare: each request also breaks every later rule.
    const huge = JSON.stringify({ nodeId: "db-z", pad: "x".repeat(20_000) });
    const cases = [
      [request(huge, undefined), BodyTooLargeError],
      [request({ nodeId: "db-z", seq: "x" }, undefined), MalformedHeartbeatError],
      [request(heartbeatBody("db-z", { resources: { nope: "online" } }), undefined), UnknownNodeError],
      [request(heartbeatBody("db-a", { resources: { nope: "online" } }), CALLERS["db-b"]), CallerNotNodeError],
    ] as const;
    for (const [req, type] of cases) {
      // Act
      const act = () => admitHeartbeat(index, req, ACCOUNT);
      // Assess
      expect(act).toThrow(type);
    }
  });

  it("answers an outsider the same 403 whether or not the node it names exists, so node ids cannot be probed", () => {
    // Prepare
    const outsider = "arn:aws:sts::123456789012:assumed-role/some-other-role/i-0a1b2c3d4e5f60001";
    const refusal = (nodeId: string, callerArn: string) => {
      try {
        admitHeartbeat(index, request(heartbeatBody(nodeId), callerArn), ACCOUNT);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    // Act
    const unknown = refusal("db-z", outsider);
    const known = refusal("db-a", outsider);
    const unknownToANode = refusal("db-z", CALLERS["db-b"]);
    // Assess
    expect(unknown).toBeInstanceOf(CallerNotNodeError);
    expect(known).toBeInstanceOf(CallerNotNodeError);
    expect((unknown as Error).message).toBe((known as Error).message);
    // One of the cluster's own nodes, misconfigured, is told the id is unknown.
    expect(unknownToANode).toBeInstanceOf(UnknownNodeError);
  });

  it("drops every resource the definition does not have, and names them; keeps the definition's others", () => {
    // Prepare: report-svc is of a group db-a may not own (kept: it may still run there); ghost is of none.
    const body = heartbeatBody("db-a", { resources: { postgres: "online", "report-svc": "online", ghost: "failed" } });
    // Act
    const admitted = admitHeartbeat(index, request(body), ACCOUNT);
    // Assess
    expect(admitted.heartbeat.resources).toEqual({ postgres: "online", "report-svc": "online" });
    expect(admitted.ignoredResources).toEqual(["ghost"]);
  });
});
