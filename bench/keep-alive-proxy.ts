import { type ChildProcess, spawn } from "node:child_process";

/**
 * moto_server answers every request with `Connection: close`, so a client opens a TCP connection per call; the SDK in
 * Lambda keeps its connection to DynamoDB alive. This proxy, in a process of its own, keeps the client's connections
 * alive and opens moto's for it, so that the CPU a bench measures in its own process is the SDK's, not moto's connects.
 */
const PROXY = `
const http = require("node:http");
const target = new URL(process.argv[1]);
const server = http.createServer({ keepAlive: true }, (req, res) => {
  const out = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const headers = { ...answer.headers };
      delete headers.connection;
      res.writeHead(answer.statusCode, headers);
      answer.pipe(res);
    },
  );
  out.on("error", (error) => { res.statusCode = 502; res.end(String(error)); });
  req.pipe(out);
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
// Gone with the bench: its end of stdin closes when it exits, however it exits.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export interface KeepAliveProxy {
  readonly endpoint: string;
  stop(): void;
}

export function startKeepAliveProxy(target: string): Promise<KeepAliveProxy> {
  const child: ChildProcess = spawn(process.execPath, ["-e", PROXY, target], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout!.once("data", (data: Buffer) =>
      resolve({ endpoint: `http://127.0.0.1:${String(data).trim()}`, stop: () => void child.kill() }),
    );
  });
}
