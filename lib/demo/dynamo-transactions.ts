import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TABLE_KEYS } from "../aws/table-layout.js";

type Json = Record<string, unknown>;

export interface TransactionsProxy {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of dynalite that serves requests one at a time and adds what dynalite lacks and
 * Baton uses: the item that failed a condition (ReturnValuesOnConditionCheckFailure ALL_OLD: the heartbeat
 * function reads the node's record from it), and TransactWriteItems (a versioned Put with ConditionChecks on node reports, all or
 * nothing; lib/aws/cluster-store.ts). Under the one-at-a-time rule a transaction is atomic: every condition is
 * evaluated by dynalite itself first, with no effect (the item written back unchanged under the condition, or a
 * conditional delete of an item that does not exist), then, only if all hold, the writes are made. A failed
 * condition cancels the whole transaction with DynamoDB's TransactionCanceledException and its reasons.
 */
export async function startTransactionsProxy(dynalite: string): Promise<TransactionsProxy> {
  const target = new URL(dynalite);
  let queue: Promise<unknown> = Promise.resolve();
  const server: Server = createServer((incoming, outgoing) => {
    const run = async () => {
      const body = await readBody(incoming);
      const operation = String(incoming.headers["x-amz-target"] ?? "").split(".")[1];
      const headers = { ...incoming.headers };
      delete headers["content-length"];
      const input = operation === undefined ? {} : (JSON.parse(body.toString("utf8") || "{}") as Json);
      let answer =
        operation === "TransactWriteItems"
          ? await transactWrite(input, headers)
          : await forward(target, incoming.method ?? "POST", incoming.url ?? "/", headers, body);
      if (input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" && answer.status === 400)
        answer = await withOldItem(answer, input, headers);
      outgoing.writeHead(answer.status, { "content-type": "application/x-amz-json-1.0" }).end(answer.body);
    };
    queue = queue.then(run).catch(() => {
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
    });
  });

  const call = async (operation: string, payload: Json, headers: Record<string, unknown>) => {
    const answer = await forward(
      target,
      "POST",
      "/",
      { ...headers, "x-amz-target": `DynamoDB_20120810.${operation}` },
      Buffer.from(JSON.stringify(payload)),
    );
    return { status: answer.status, json: JSON.parse(answer.body.toString("utf8") || "{}") as Json };
  };

  /** A failed condition's answer with the item as it was (ReturnValuesOnConditionCheckFailure ALL_OLD). */
  const withOldItem = async (
    answer: { status: number; body: Buffer },
    input: Json,
    headers: Record<string, unknown>,
  ) => {
    const error = JSON.parse(answer.body.toString("utf8") || "{}") as Json;
    if (!String(error.__type).endsWith("ConditionalCheckFailedException")) return answer;
    const key = (input.Key as Json | undefined) ?? keyOf(input.Item as Json);
    const current = await call("GetItem", { TableName: input.TableName, Key: key, ConsistentRead: true }, headers);
    const item = current.json.Item;
    return item === undefined ? answer : { status: 400, body: Buffer.from(JSON.stringify({ ...error, Item: item })) };
  };

  const transactWrite = async (input: Json, headers: Record<string, unknown>) => {
    const items = (input.TransactItems ?? []) as Json[];
    const reasons: Json[] = [];
    for (const item of items) {
      const [, action] = Object.entries(item)[0] as [string, Json];
      const condition = action.ConditionExpression as string | undefined;
      if (condition === undefined) {
        reasons.push({ Code: "None" });
        continue;
      }
      const key = (action.Key as Json | undefined) ?? keyOf(action.Item as Json);
      const expression = {
        TableName: action.TableName,
        ConditionExpression: condition,
        ...used(condition, action),
      };
      const current = await call("GetItem", { TableName: action.TableName, Key: key, ConsistentRead: true }, headers);
      if (current.status !== 200) return { status: current.status, body: Buffer.from(JSON.stringify(current.json)) };
      const existing = current.json.Item as Json | undefined;
      const check = existing
        ? await call("PutItem", { ...expression, Item: existing }, headers)
        : await call("DeleteItem", { ...expression, Key: key }, headers);
      if (check.status === 200) reasons.push({ Code: "None" });
      else if (String(check.json.__type).endsWith("ConditionalCheckFailedException"))
        reasons.push({ Code: "ConditionalCheckFailed", Message: "The conditional request failed" });
      else return { status: check.status, body: Buffer.from(JSON.stringify(check.json)) };
    }
    if (reasons.some((r) => r.Code !== "None")) {
      const codes = reasons.map((r) => r.Code as string).join(", ");
      return {
        status: 400,
        body: Buffer.from(
          JSON.stringify({
            __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
            CancellationReasons: reasons,
          }),
        ),
      };
    }
    for (const item of items) {
      const [kind, action] = Object.entries(item)[0] as [string, Json];
      const operation = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem" }[kind];
      if (operation === undefined) continue;
      const { ReturnValuesOnConditionCheckFailure: _ignored, ...rest } = action;
      const done = await call(operation, rest, headers);
      if (done.status !== 200) return { status: done.status, body: Buffer.from(JSON.stringify(done.json)) };
    }
    return { status: 200, body: Buffer.from("{}") };
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The item's key attributes (the state table's schema). */
function keyOf(item: Json): Json {
  return { [TABLE_KEYS.partition]: item[TABLE_KEYS.partition], [TABLE_KEYS.sort]: item[TABLE_KEYS.sort] };
}

/** The names and values the condition uses (DynamoDB refuses unused ones). */
function used(condition: string, action: Json): Json {
  const pick = (map: unknown, pattern: RegExp) => {
    if (map === undefined) return undefined;
    const names = new Set(condition.match(pattern) ?? []);
    const kept = Object.fromEntries(Object.entries(map as Json).filter(([k]) => names.has(k)));
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  const names = pick(action.ExpressionAttributeNames, /#[A-Za-z0-9_]+/g);
  const values = pick(action.ExpressionAttributeValues, /:[A-Za-z0-9_]+/g);
  return {
    ...(names ? { ExpressionAttributeNames: names } : {}),
    ...(values ? { ExpressionAttributeValues: values } : {}),
  };
}

function forward(
  target: URL,
  method: string,
  path: string,
  headers: Record<string, unknown>,
  body: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: { ...(headers as Record<string, string>), host: target.host, "content-length": body.length },
      },
      (response) => {
        readBody(response)
          .then((data) => resolve({ status: response.statusCode ?? 500, body: data }))
          .catch(reject);
      },
    );
    outgoing.once("error", reject);
    outgoing.end(body);
  });
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}
