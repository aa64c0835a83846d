import type { TestProject } from "vitest/node";
import { startMotoServer } from "../support/moto-server.js";
import { startThrottlingProxy } from "../support/throttling-proxy.js";

declare module "vitest" {
  export interface ProvidedContext {
    /**
     * moto_server behind a proxy that serializes requests and can throttle chosen EC2 and
     * Route 53 calls on demand (see throttling-proxy.ts; drive it with throttleAws).
     */
    motoEndpoint: string;
  }
}

/** One moto_server for the whole integration run. Missing moto fails the run; it never skips. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  const proxy = await startThrottlingProxy(moto.endpoint);
  project.provide("motoEndpoint", proxy.endpoint);
  return async () => {
    await proxy.stop();
    await moto.stop();
  };
}
