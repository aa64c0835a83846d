// The scheduled controller (docs/architecture.md). Wiring only: the decisions are in lib/core.
import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createEc2Client, createEventBridgeClient, createRoute53Client, createSnsClient } from "../lib/aws/clients.js";
import { EventBridgePublisher } from "../lib/aws/event-publisher.js";
import { DynamoClusterStateStore } from "../lib/aws/cluster-store.js";
import { createDynamoDbClient } from "../lib/aws/dynamodb-client.js";
import { Ec2Adapter } from "../lib/aws/ec2.js";
import { Route53Adapter } from "../lib/aws/route53.js";
import { SnsNotifier } from "../lib/aws/sns-notifier.js";
import { METRIC_DIMENSIONS, METRICS_NAMESPACE, SERVICES } from "../lib/core/metric-names.js";
import { createControllerHandler } from "../lib/handlers/controller.js";
import { tableNameVariable, topicArnVariable } from "../lib/infra/names.js";
import { loadEmbeddedDefinition, requireEnv } from "../lib/handlers/embedded-definition.js";

// Replaced at bundle time by the definition's JSON (see lib/infra); read from the environment otherwise.
const definition = loadEmbeddedDefinition(process.env.BATON_DEFINITION);
const logger = new Logger({ serviceName: SERVICES.controller });
const store = new DynamoClusterStateStore(createDynamoDbClient(), requireEnv(tableNameVariable));
const ec2 = new Ec2Adapter(createEc2Client());
const dns = new Route53Adapter(createRoute53Client());
const notifier = new SnsNotifier(createSnsClient(), requireEnv(topicArnVariable));

export const handler = createControllerHandler({
  passDependencies: (holder) => ({
    definition,
    store,
    ec2,
    dns,
    notifier,
    clock: { now: () => Date.now() },
    holder,
    logger,
  }),
  metrics: new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICES.controller,
    defaultDimensions: { [METRIC_DIMENSIONS.cluster]: definition.cluster },
  }),
  detailedMetrics: process.env.BATON_METRICS === "detailed",
  eventBus: new EventBridgePublisher(createEventBridgeClient()),
  sleep: (ms) => sleep(ms),
});
