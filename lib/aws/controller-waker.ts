import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { WakeReason } from "../core/heartbeat/wake.js";

/**
 * Wakes the controller function: one asynchronous invocation (`InvocationType: Event`) with `{"wake": reason}`.
 * Lambda queues it; with reserved concurrency 1 a wake-up that arrives while the controller runs waits for it (the
 * function's maximum event age, 60 s, drops it after that: the schedule's next pass is due by then).
 */
export class LambdaControllerWaker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async wake(reason: WakeReason, at: number): Promise<void> {
    await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify({ wake: reason, at: new Date(at).toISOString() })),
      }),
    );
  }
}
