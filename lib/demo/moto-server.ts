import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A moto_server process on a free loopback port: the AWS emulator of the integration tests and benches. */
export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

export const MOTO_MISSING =
  "moto_server was not found on PATH. The integration tests need it (they never skip): " +
  "install it with `pip install 'moto[server]>=5'` and run the tests again.";

export async function startMotoServer(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<Error>((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ENOENT" ? new Error(MOTO_MISSING) : error),
    );
    child.once("exit", (code) =>
      resolve(new Error(`moto_server exited with code ${code} before it was ready:\n${stderr}`)),
    );
  });
  const ready = waitUntilReady(endpoint);
  const outcome = await Promise.race([ready.then(() => undefined), exited]);
  if (outcome instanceof Error) {
    child.kill("SIGKILL");
    throw outcome;
  }
  return { endpoint, stop: () => stop(child) };
}

/** Forgets every resource moto holds: each suite starts from an empty account. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}

async function waitUntilReady(endpoint: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`moto_server did not answer at ${endpoint} within ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Environment that points the AWS SDK at moto, with throwaway credentials. */
export function motoEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
  };
}
