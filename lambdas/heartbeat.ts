// POST /v1/heartbeat (docs/protocol.md). Wiring only: the decisions are in lib/core.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { LambdaControllerWaker } from "../lib/aws/controller-waker.js";
import { DynamoHeartbeatStore } from "../lib/aws/heartbeat-store.js";
import { indexCluster } from "../lib/core/cluster-index.js";
import { loadEmbeddedDefinition, pinPrincipalIds, requireEnv } from "../lib/handlers/embedded-definition.js";
import { METRIC_DIMENSIONS, METRICS_NAMESPACE, SERVICES } from "../lib/core/metric-names.js";
import { createHeartbeatHandler } from "../lib/handlers/heartbeat.js";
import { tableNameVariable } from "../lib/infra/names.js";

// Replaced at bundle time by the definition's JSON (see lib/infra); read from the environment otherwise.
// The unique ids of node roles the app creates are known only at deploy: they come from the environment.
const definition = pinPrincipalIds(
  loadEmbeddedDefinition(process.env.BATON_DEFINITION),
  process.env.BATON_PRINCIPAL_IDS,
);

const store = new DynamoHeartbeatStore(createDynamoDbClient(), requireEnv(tableNameVariable));
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
  detailedMetrics: process.env.BATON_METRICS === "detailed",
  logger: new Logger({ serviceName: SERVICES.heartbeat }),
  // Refusals and answered latencies are batched per execution environment (lib/handlers/heartbeat-metrics.ts).
  metrics: new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICES.heartbeat,
    defaultDimensions: { [METRIC_DIMENSIONS.cluster]: definition.cluster },
  }),
});
