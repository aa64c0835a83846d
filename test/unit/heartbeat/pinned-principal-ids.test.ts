import { describe, expect, it } from "vitest";
import { indexCluster } from "../../../lib/core/cluster-index.js";
import { admitHeartbeat } from "../../../lib/core/heartbeat/admit.js";
import { CallerNotNodeError } from "../../../lib/core/heartbeat/errors.js";
import { pinPrincipalIds } from "../../../lib/handlers/embedded-definition.js";
import { exampleDefinition } from "../../support/example-cluster.js";
import { ACCOUNT, CALLERS, heartbeatBody } from "../../support/heartbeat-events.js";

/** What the FailoverCluster construct sets when the app creates the EC2 nodes' role baton-node. */
const PINNED = JSON.stringify({ "db-a": "AROA3XFRBF23EXAMPLE1", "db-b": "AROA3XFRBF23EXAMPLE1" });

describe("pinPrincipalIds (BATON_PRINCIPAL_IDS)", () => {
  it("pins the deployed roles' unique ids: a recreated role of the same name is refused", () => {
    // Prepare
    const index = indexCluster(pinPrincipalIds(exampleDefinition(), PINNED));
    const admit = (userId: string) =>
      admitHeartbeat(
        index,
        {
          body: JSON.stringify(heartbeatBody("db-a")),
          isBase64Encoded: false,
          callerArn: CALLERS["db-a"],
          callerUserId: userId,
        },
        ACCOUNT,
      );
    // Act and Assess
    expect(admit("AROA3XFRBF23EXAMPLE1:i-0a1b2c3d4e5f60001").node.id).toBe("db-a");
    expect(() => admit("AROA3XFRBF23NEWROLE1:i-0a1b2c3d4e5f60001")).toThrow(CallerNotNodeError);
  });

  it("changes nothing without pinned ids, and keeps a principalId the definition gives", () => {
    // Prepare
    const definition = exampleDefinition();
    const withId = {
      ...definition,
      nodes: definition.nodes.map((n) => (n.id === "db-a" ? { ...n, principalId: "AROA3XFRBF23DEFINED1" } : n)),
    };
    // Act
    const unchanged = pinPrincipalIds(definition, undefined);
    const kept = pinPrincipalIds(withId, PINNED);
    // Assess
    expect(unchanged).toBe(definition);
    expect(kept.nodes.map((n) => n.principalId)).toEqual(["AROA3XFRBF23DEFINED1", "AROA3XFRBF23EXAMPLE1", undefined]);
  });

  it.each([
    ["not an object", "[]", /JSON object/],
    ["an unknown node", JSON.stringify({ "db-z": "AROA3XFRBF23EXAMPLE1" }), /"db-z", which is not a node/],
    ["not a unique id", JSON.stringify({ "db-a": "baton-node" }), /node "db-a" is not an IAM unique id/],
    ["a user's id for a role", JSON.stringify({ "db-a": "AIDA3XFRBF23EXAMPLE1" }), /node "db-a"/],
  ])("fails the cold start loudly on %s", (_case, json, message) => {
    // Act
    const act = () => pinPrincipalIds(exampleDefinition(), json);
    // Assess
    expect(act).toThrow(message);
  });
});
