import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { motoEnvironment, resetMoto } from "../../support/moto-server.js";
import { createStateTableIn } from "../../support/state-table.js";
import { CONTROL_PREFIX, type ThrottledService } from "../../support/throttling-proxy.js";

/**
 * Points the process's AWS SDK at the shared moto_server (through the SDK's standard
 * endpoint variables, as a deployment would) and empties it.
 */
export async function useFreshMoto(): Promise<string> {
  const endpoint = inject("motoEndpoint");
  Object.assign(process.env, motoEnvironment(endpoint));
  await resetMoto(endpoint);
  return endpoint;
}

/** A table with the deployed key schema, and a client for the test's own reads and writes. */
export async function createStateTable(tableName: string): Promise<DynamoDBClient> {
  const client = new DynamoDBClient({});
  await createStateTableIn(client, tableName);
  return client;
}

/**
 * The next `count` calls to `service` (only `action`'s, when given) get AWS's throttling error
 * from the proxy in front of moto instead of moto's answer (see throttling-proxy.ts). Pending
 * throttles are forgotten by the next useFreshMoto.
 */
export async function throttleAws(service: ThrottledService, count: number, action?: string): Promise<void> {
  const query = new URLSearchParams({ service, count: String(count), ...(action ? { action } : {}) });
  const response = await fetch(`${inject("motoEndpoint")}${CONTROL_PREFIX}throttle?${query.toString()}`, {
    method: "POST",
  });
  if (!response.ok) throw new Error(`throttleAws failed: HTTP ${response.status} ${await response.text()}`);
}

/** How many throttling errors the proxy has answered with since the run started. */
export async function awsThrottledCount(): Promise<number> {
  const response = await fetch(`${inject("motoEndpoint")}${CONTROL_PREFIX}throttled`);
  if (!response.ok) throw new Error(`awsThrottledCount failed: HTTP ${response.status}`);
  return ((await response.json()) as { throttled: number }).throttled;
}
