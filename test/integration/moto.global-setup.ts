import type { TestProject } from "vitest/node";
import { startMotoServer } from "../support/moto-server.js";
import { startSerializingProxy } from "../support/serializing-proxy.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** moto_server behind a proxy that serializes requests (see serializing-proxy.ts). */
    motoEndpoint: string;
  }
}

/** One moto_server for the whole integration run. Missing moto fails the run; it never skips. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMotoServer();
  const proxy = await startSerializingProxy(moto.endpoint);
  project.provide("motoEndpoint", proxy.endpoint);
  return async () => {
    await proxy.stop();
    await moto.stop();
  };
}
