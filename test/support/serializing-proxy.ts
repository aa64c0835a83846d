import { Agent, createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy that forwards requests to moto_server one at a time.
 *
 * Why: DynamoDB applies conditional writes to one item one after the other, and Baton's
 * safety rests on that. moto 5 evaluates a condition and then applies the write without a
 * lock, on a threaded server, so two concurrent conditional writes to one item can both pass
 * there. Serializing the requests gives the integration tests DynamoDB's guarantee back.
 */
export interface SerializingProxy {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startSerializingProxy(target: string): Promise<SerializingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let queue: Promise<void> = Promise.resolve();

  const server: Server = createServer((incoming, outgoing) => {
    const forward = async (): Promise<void> => {
      const body = await readAll(incoming);
      await new Promise<void>((done) => {
        const upstreamRequest = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: incoming.method,
            path: incoming.url,
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
    queue = queue.then(forward, forward);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}
