import type { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { EventBridgePublisher } from "../../../lib/aws/event-publisher.js";
import type { IntegrationEvent } from "../../../lib/core/controller/integration-events.js";

const AT = Date.UTC(2026, 10, 30, 12, 0, 0);
const event = (group: string): IntegrationEvent => ({
  detailType: "Failover Started",
  at: AT,
  detail: { cluster: "orders-db", group },
});

/** A client that records each request and answers as told (PutEvents answers 200 even when entries failed). */
function client(answer: (entries: number) => { FailedEntryCount: number; Entries: { ErrorCode?: string }[] }) {
  const requests: PutEventsCommand["input"][] = [];
  const fake = {
    send: (command: PutEventsCommand) => {
      requests.push(command.input);
      return Promise.resolve(answer(command.input.Entries!.length));
    },
  } as unknown as EventBridgeClient;
  return { fake, requests };
}

describe("EventBridgePublisher", () => {
  it("puts events on the default bus, source baton, 10 per request", async () => {
    // Prepare
    const { fake, requests } = client((n) => ({ FailedEntryCount: 0, Entries: Array.from({ length: n }, () => ({})) }));
    // Act
    await new EventBridgePublisher(fake).publish(Array.from({ length: 12 }, (_, i) => event(`g${i}`)));
    // Assess
    expect(requests.map((r) => r.Entries!.length)).toEqual([10, 2]);
    expect(requests[0]!.Entries![0]).toEqual({
      Source: "baton",
      DetailType: "Failover Started",
      Detail: JSON.stringify({ cluster: "orders-db", group: "g0" }),
      Time: new Date(AT),
      EventBusName: "default",
    });
  });

  it("fails when the bus refused some entries, though the request itself succeeded", async () => {
    // Prepare
    const { fake } = client(() => ({ FailedEntryCount: 1, Entries: [{}, { ErrorCode: "AccessDeniedException" }] }));
    // Act
    const put = new EventBridgePublisher(fake).publish([event("a"), event("b")]);
    // Assess
    await expect(put).rejects.toThrow("PutEvents refused 1 of 2 events (AccessDeniedException)");
  });
});
