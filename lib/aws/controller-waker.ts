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

/**
 * Wakes the controller so that it carries an operator's intent out now rather than at its next tick: an asynchronous
 * invoke (`InvocationType: Event`, payload `{"passes": 3}`). When that cannot be done (no function known, the
 * invoke throttled by the controller's reserved concurrency, any error) the intent still stands: the answer says
 * why, and the next scheduled pass carries it out.
 */
export async function wakeController(
  lambda: LambdaClient,
  functionName: string | null,
): Promise<{ readonly woken: true } | { readonly woken: false; readonly why: string }> {
  if (functionName === null) return { woken: false, why: "no controller function is known (--function)" };
  try {
    await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify({ passes: 3 })),
      }),
    );
    return { woken: true };
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    return { woken: false, why: `the invoke failed (${name}${error instanceof Error ? `: ${error.message}` : ""})` };
  }
}
