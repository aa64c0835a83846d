// dynalite ships no types: the one call the demo makes (lib/demo/local-aws.ts).
declare module "dynalite" {
  import type { Server } from "node:http";
  export default function dynalite(options?: { createTableMs?: number; path?: string }): Server;
}
