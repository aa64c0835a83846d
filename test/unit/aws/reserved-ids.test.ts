import { Readable } from "node:stream";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoClusterStateStore } from "../../../lib/aws/cluster-store.js";
import { DynamoHeartbeatStore } from "../../../lib/aws/heartbeat-store.js";

// Ids that are reserved names, which the definition refuses, as the table could still hold them: DynamoDB's
// JSON keeps `__proto__` as a key, and the SDK hands it over as one. The stores must read it as the id it is.

/** A real client whose every request is answered 200 with `body`, as DynamoDB's JSON on the wire. */
function answering(body: string): DynamoDBClient {
  return new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: () =>
        Promise.resolve({
          response: {
            statusCode: 200,
            reason: "OK",
            headers: { "content-type": "application/x-amz-json-1.0" },
            body: Readable.from([Buffer.from(body)]),
          },
        }),
    } as never,
  });
}

const DESIRED = '{"M": {"__proto__": {"S": "online"}, "constructor": {"S": "offline"}}}';

describe("the stores, reading ids that are reserved names", () => {
  it("heartbeat store: reads a desired state named __proto__ as a desired state", async () => {
    // Prepare
    const body = `{"Responses": {"baton": [{"sk": {"S": "group#web"}, "owner": {"S": "db-a"}, "epoch": {"N": "3"}, "desired": ${DESIRED}}]}}`;
    const store = new DynamoHeartbeatStore(answering(body), "baton");
    // Act
    const ownership = await store.readOwnership(["web"]);
    // Assess
    const desired = ownership.get("web")?.desired ?? {};
    expect(Object.entries(desired)).toEqual([
      ["__proto__", "online"],
      ["constructor", "offline"],
    ]);
  });

  it("cluster store: reads a node's report, a group's desired states and the guard's voters, __proto__ included", async () => {
    // Prepare
    const node = `{"pk": {"S": "state"}, "sk": {"S": "node#db-a"}, "bootId": {"S": "b"}, "seq": {"N": "4"}, "receivedAt": {"N": "1000"},
      "resources": {"M": {"__proto__": {"S": "offline"}, "toString": {"S": "fenced"}}}, "epochs": {"M": {"__proto__": {"N": "7"}}}}`;
    const group = `{"pk": {"S": "state"}, "sk": {"S": "group#__proto__"}, "version": {"N": "2"}, "owner": {"S": "db-a"},
      "epoch": {"N": "7"}, "status": {"S": "online"}, "desired": ${DESIRED}, "failedOn": {"M": {"__proto__": {"N": "500"}}}}`;
    const guard = `{"pk": {"S": "state"}, "sk": {"S": "controller#guard"}, "version": {"N": "1"}, "frozen": {"BOOL": false},
      "since": {"N": "0"}, "voters": {"S": "{\\"__proto__\\": null, \\"db-a\\": 900}"}}`;
    const store = new DynamoClusterStateStore(answering(`{"Items": [${node}, ${group}, ${guard}]}`), "baton");
    // Act
    const snapshot = await store.readSnapshot();
    // Assess
    const report = snapshot.liveness.get("db-a");
    expect(Object.entries(report?.resources ?? {})).toEqual([
      ["__proto__", "offline"],
      ["toString", "fenced"],
    ]);
    expect(Object.entries(report?.epochs ?? {})).toEqual([["__proto__", 7]]);
    const record = snapshot.groups.get("__proto__");
    expect(Object.entries(record?.desired ?? {})).toEqual([
      ["__proto__", "online"],
      ["constructor", "offline"],
    ]);
    expect(Object.entries(record?.failedOn ?? {})).toEqual([["__proto__", 500]]);
    expect(Object.entries(snapshot.guard?.voters ?? {})).toEqual([
      ["__proto__", { removedAt: null }],
      ["db-a", { removedAt: 900 }],
    ]);
  });
});
