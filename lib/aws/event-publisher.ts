import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, type EventPublisher, type IntegrationEvent } from "../core/controller/integration-events.js";
import { awsCall } from "./aws-call.js";

/** PutEvents accepts at most 10 entries per request. */
const ENTRIES_PER_REQUEST = 10;

/** Puts events on the account's default event bus, source `baton`, 10 per request. */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly client: EventBridgeClient) {}

  async publish(events: readonly IntegrationEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += ENTRIES_PER_REQUEST) {
      const batch = events.slice(i, i + ENTRIES_PER_REQUEST);
      const answer = await awsCall("PutEvents", () =>
        this.client.send(
          new PutEventsCommand({
            Entries: batch.map((e) => ({
              Source: EVENT_SOURCE,
              DetailType: e.detailType,
              Detail: JSON.stringify(e.detail),
              Time: new Date(e.at),
              EventBusName: "default",
            })),
          }),
        ),
      );
      // PutEvents answers 200 with per-entry failures: an entry it refused is not on the bus.
      const failed = (answer.Entries ?? []).filter((entry) => entry.ErrorCode !== undefined);
      if ((answer.FailedEntryCount ?? 0) > 0 || failed.length > 0) {
        const codes = [...new Set(failed.map((entry) => entry.ErrorCode))].join(", ");
        throw new Error(
          `PutEvents refused ${answer.FailedEntryCount ?? failed.length} of ${batch.length} events (${codes})`,
        );
      }
    }
  }
}
