// POST /v1/heartbeat (docs/protocol.md). Wiring only: the decisions are in lib/core.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { LambdaControllerWaker } from "../lib/aws/controller-waker.js";
import { DynamoHeartbeatStore } from "../lib/aws/heartbeat-store.js";
import { indexCluster } from "../lib/core/cluster-index.js";
import { loadEmbeddedDefinition, pinPrincipalIds, requireEnv } from "../lib/handlers/embedded-definition.js";
import { createHeartbeatHandler } from "../lib/handlers/heartbeat.js";

// Replaced at bundle time by the definition's JSON (see lib/infra); read from the environment otherwise.
// The unique ids of node roles the app creates are known only at deploy: they come from the environment.
const definition = pinPrincipalIds(
  loadEmbeddedDefinition(process.env.BATON_DEFINITION),
  process.env.BATON_PRINCIPAL_IDS,
);

const store = new DynamoHeartbeatStore(createDynamoDbClient(), requireEnv("TABLE_NAME"));
// The controller this function wakes (lib/core/heartbeat/wake.ts); without it, the controller's schedule alone.
const controllerFunction = process.env.BATON_CONTROLLER_FUNCTION;
const waker =
  controllerFunction === undefined || controllerFunction === ""
    ? undefined
    : new LambdaControllerWaker(new LambdaClient({ maxAttempts: 2 }), controllerFunction);

export const handler = createHeartbeatHandler({
  index: indexCluster(definition),
  store,
  wake: waker === undefined ? undefined : { store, invoke: (reason, at) => waker.wake(reason, at) },
  clock: { now: () => Date.now() },
  logger: new Logger({ serviceName: "baton-heartbeat" }),
  // Only refused heartbeats are counted (HeartbeatsThrottled): an answered one adds no metric line.
  metrics: new Metrics({
    namespace: "Baton",
    serviceName: "baton-heartbeat",
    defaultDimensions: { cluster: definition.cluster },
  }),
});
