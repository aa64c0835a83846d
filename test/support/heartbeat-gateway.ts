import { createDynamoDbClient } from "../../lib/aws/dynamodb-client.js";
import { DynamoHeartbeatStore } from "../../lib/aws/heartbeat-store.js";
import { indexCluster } from "../../lib/core/cluster-index.js";
import { loadEmbeddedDefinition } from "../../lib/handlers/embedded-definition.js";
import { createHeartbeatHandler, type HeartbeatHandler } from "../../lib/handlers/heartbeat.js";
import { CALLERS } from "./heartbeat-events.js";

// The gateway moved to lib/demo (the demo puts it in front of the heartbeat function); tests keep this path.
export * from "../../lib/demo/heartbeat-gateway.js";

/** Static test credentials for the example cluster's nodes (examples/cluster.yaml), with their identities. */
export const EXAMPLE_NODE_KEYS = {
  "db-a": { accessKeyId: "AKIDNODEDBA", secretAccessKey: "secret-db-a", userArn: CALLERS["db-a"] },
  "db-b": { accessKeyId: "AKIDNODEDBB", secretAccessKey: "secret-db-b", userArn: CALLERS["db-b"] },
  "office-1": { accessKeyId: "AKIDNODEOFFICE1", secretAccessKey: "secret-office-1", userArn: CALLERS["office-1"] },
} as const;

/**
 * The real heartbeat handler over a state table (in moto: call useFreshMoto first, which points the
 * SDK at it) for the definition `document` (the parsed YAML of a cluster definition).
 */
export function heartbeatHandlerOver(tableName: string, document: unknown): HeartbeatHandler {
  const quiet = () => undefined;
  return createHeartbeatHandler({
    index: indexCluster(loadEmbeddedDefinition(JSON.stringify(document))),
    store: new DynamoHeartbeatStore(createDynamoDbClient(), tableName),
    clock: { now: () => Date.now() },
    logger: { debug: quiet, warn: quiet, error: quiet },
    metrics: { addMetric: quiet, publishStoredMetrics: quiet },
  });
}
