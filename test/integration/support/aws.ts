import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { motoEnvironment, resetMoto } from "../../support/moto-server.js";
import { createStateTableIn } from "../../support/state-table.js";

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
