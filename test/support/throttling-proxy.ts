import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy in front of moto_server that forwards requests ONE AT A TIME and can
 * answer chosen requests with AWS's own throttling error instead of forwarding them.
 *
 * Why serialize: DynamoDB applies conditional writes to one item one after the other, and
 * Baton's safety rests on that. moto 5 evaluates a condition and then applies the write without
 * a lock, on a threaded server, so two concurrent conditional writes to one item can both pass
 * there. Serializing the requests gives the integration tests DynamoDB's guarantee back.
 *
 * Why throttle: moto never throttles, and real EC2 and Route 53 do (Route 53 allows 5 requests
 * a second per account). The answers are the services' real ones, so the SDK's retries and the
 * adapters' classification by error code are exercised end to end:
 * - EC2 (query API, identified by its form body's Action): HTTP 503 RequestLimitExceeded;
 * - Route 53 (REST, identified by its /2013-04-01/ paths): HTTP 400 Throttling.
 *
 * Test workers drive it over HTTP on the proxy's own port (see CONTROL_PREFIX):
 * - POST /__proxy/throttle?service=ec2|route53&count=N[&action=DescribeInstances]
 * - GET  /__proxy/throttled -> {"throttled": <answers given so far>}
 * - POST /__proxy/clear: forgets pending throttles (a moto reset through the proxy does too).
 */
export interface ThrottlingProxy {
  readonly endpoint: string;
  /** The next `count` requests to `service` (and `action`, when given) get a throttling error. */
  throttle(service: ThrottledService, count: number, action?: string): void;
  /** How many throttling errors the proxy has answered with. */
  throttled(): number;
  stop(): Promise<void>;
}

export type ThrottledService = "ec2" | "route53";

export const CONTROL_PREFIX = "/__proxy/";

const EC2_API_VERSION = "2016-11-15";
const ROUTE53_PREFIX = "/2013-04-01/";

const EC2_THROTTLED =
  "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>" +
  "<RequestID>x</RequestID></Response>";
const ROUTE53_THROTTLED =
  '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>' +
  "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>";

interface Rule {
  readonly service: ThrottledService;
  readonly action: string | undefined;
  remaining: number;
}

export async function startThrottlingProxy(target: string): Promise<ThrottlingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let queue: Promise<void> = Promise.resolve();
  let rules: Rule[] = [];
  let throttledCount = 0;

  const throttle = (service: ThrottledService, count: number, action?: string): void => {
    if (!Number.isInteger(count) || count < 0) throw new Error(`throttle count must be a whole number: ${count}`);
    rules.push({ service, action, remaining: count });
  };

  /** Consumes one matching rule, if any: the request is then answered with a throttling error. */
  const takeThrottle = (call: { service: ThrottledService; action: string | undefined } | undefined): boolean => {
    if (!call) return false;
    const rule = rules.find(
      (r) => r.remaining > 0 && r.service === call.service && (r.action === undefined || r.action === call.action),
    );
    if (!rule) return false;
    rule.remaining -= 1;
    rules = rules.filter((r) => r.remaining > 0);
    throttledCount += 1;
    return true;
  };

  const forward = async (incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer): Promise<void> => {
    const path = incoming.url ?? "/";
    if (incoming.method === "POST" && path.startsWith("/moto-api/reset")) rules = [];
    if (takeThrottle(identify(incoming.method ?? "GET", path, body))) {
      const ec2 = !path.startsWith(ROUTE53_PREFIX);
      outgoing.writeHead(ec2 ? 503 : 400, { "content-type": "text/xml" }).end(ec2 ? EC2_THROTTLED : ROUTE53_THROTTLED);
      return;
    }
    await new Promise<void>((done) => {
      const upstreamRequest = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path,
          headers: incoming.headers,
          agent,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
          response.once("end", done);
          response.once("error", done);
        },
      );
      upstreamRequest.once("error", (error) => {
        outgoing.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${error.message}`);
        done();
      });
      upstreamRequest.end(body);
    });
  };

  const control = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const url = new URL(incoming.url ?? "/", "http://proxy");
    const command = url.pathname.slice(CONTROL_PREFIX.length);
    const reply = (status: number, value: unknown) =>
      outgoing.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    try {
      if (command === "throttle" && incoming.method === "POST") {
        const service = url.searchParams.get("service");
        if (service !== "ec2" && service !== "route53") throw new Error(`unknown service: ${service}`);
        throttle(service, Number(url.searchParams.get("count")), url.searchParams.get("action") ?? undefined);
        reply(200, { ok: true });
      } else if (command === "throttled") {
        reply(200, { throttled: throttledCount });
      } else if (command === "clear" && incoming.method === "POST") {
        rules = [];
        reply(200, { ok: true });
      } else {
        reply(404, { error: `no proxy command ${incoming.method} ${url.pathname}` });
      }
    } catch (error) {
      reply(400, { error: error instanceof Error ? error.message : String(error) });
    }
  };

  const server: Server = createServer((incoming, outgoing) => {
    if (incoming.url?.startsWith(CONTROL_PREFIX)) {
      control(incoming, outgoing);
      return;
    }
    // The body is read in the queue, so requests are also answered in arrival order.
    const task = async (): Promise<void> => forward(incoming, outgoing, await readAll(incoming));
    const settle = () =>
      task().catch((error: unknown) => {
        if (!outgoing.headersSent) outgoing.writeHead(502).end(`proxy: ${String(error)}`);
      });
    queue = queue.then(settle, settle);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttle,
    throttled: () => throttledCount,
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Which throttleable API a request calls: EC2 by its query-API form body, Route 53 by its REST path. */
function identify(
  method: string,
  path: string,
  body: Buffer,
): { service: ThrottledService; action: string | undefined } | undefined {
  if (path.startsWith(ROUTE53_PREFIX)) return { service: "route53", action: route53Action(method, path) };
  if (method !== "POST" || body.length === 0) return undefined;
  const form = new URLSearchParams(body.toString("utf8"));
  const action = form.get("Action");
  // SNS and others share the query protocol and moto's one endpoint: EC2 is told by its API version.
  if (action && form.get("Version") === EC2_API_VERSION) return { service: "ec2", action };
  return undefined;
}

/** The Route 53 operations the adapters call, named as in the API reference. */
function route53Action(method: string, path: string): string | undefined {
  const resource = path.slice(ROUTE53_PREFIX.length).split("?")[0] ?? "";
  if (method === "GET" && resource.startsWith("change/")) return "GetChange";
  if (/^hostedzone\/[^/]+\/rrset\/?$/.test(resource)) {
    return method === "POST" ? "ChangeResourceRecordSets" : "ListResourceRecordSets";
  }
  if (method === "POST" && resource === "hostedzone") return "CreateHostedZone";
  return undefined;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}
