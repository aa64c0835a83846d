import { Readable } from "node:stream";
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";

/** One page of a Query: its items as DynamoDB's own JSON (AttributeValue maps), straight from the wire. */
export interface RawQueryPage {
  readonly items: readonly Record<string, AttributeValue>[];
  readonly lastEvaluatedKey: Record<string, AttributeValue> | undefined;
}

/** Wire shape of a Query answer; only what the controller reads. */
interface QueryBody {
  readonly Items?: Record<string, AttributeValue>[];
  readonly LastEvaluatedKey?: Record<string, AttributeValue>;
}

/**
 * Sends one Query through the SDK (endpoint, signing, retries, timeouts and error codes all as usual)
 * but reads a successful answer with one `JSON.parse` instead of the SDK's shape-by-shape
 * deserializer. For the controller's snapshot of 2,000 items that deserializer costs about 60 ms of
 * CPU per pass; `JSON.parse` about 10 (bench/controller.ts measures both). DynamoDB's JSON already is
 * the AttributeValue shape (`{"S": "..."}`, `{"N": "12"}`, maps and lists), which `unmarshall`
 * reads; binary values would stay base64 text, and the state partition holds none.
 *
 * Only a 200 answer is taken over: errors still go through the SDK, so throttling and the other
 * error codes arrive as the SDK's typed exceptions.
 */
export async function queryRawPage(client: DynamoDBClient, input: QueryCommandInput): Promise<RawQueryPage> {
  const command = new QueryCommand(input);
  let body: QueryBody | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: unknown };
      if (response.statusCode === 200 && response.body instanceof Readable) {
        body = JSON.parse(await readAll(response.body)) as QueryBody;
        response.body = Readable.from([Buffer.from("{}")]); // the SDK's deserializer now has nothing to read
      }
      return result;
    },
    // Innermost: between the SDK's deserializer and the HTTP handler, so it sees the raw answer first.
    { step: "deserialize", priority: "low", name: "batonRawQueryBody" },
  );
  await client.send(command);
  if (body === undefined) throw new Error("DynamoDB answered a Query with no readable body");
  return { items: body.Items ?? [], lastEvaluatedKey: body.LastEvaluatedKey };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
