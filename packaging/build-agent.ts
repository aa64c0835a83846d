// Bundles the node agent into ONE file a machine can run with nothing but Node.js 20 or later:
// dist/agent/baton-agent.mjs, with every dependency (the AWS SDK pieces included) inside.
//
//   npm run build:agent                                   # bin/baton-agent.ts -> dist/agent/baton-agent.mjs
//   npx tsx packaging/build-agent.ts --entry X --outfile Y [--readable]    (--readable: not minified, for profiles)
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({
  options: {
    entry: { type: "string", default: "bin/baton-agent.ts" },
    outfile: { type: "string", default: "dist/agent/baton-agent.mjs" },
    readable: { type: "boolean", default: false },
  },
});
const entry = values.entry;
const outfile = values.outfile;

if (!existsSync(entry)) {
  console.error(`build:agent: the entry point ${entry} does not exist; pass another with --entry PATH.`);
  process.exit(1);
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // ES module builds of the SDK packages first: they tree-shake far better than their CommonJS builds.
  mainFields: ["module", "main"],
  minify: !values.readable,
  sourcemap: false,
  legalComments: "none",
  // CommonJS dependencies bundled into an ES module still call require() (for Node's own modules).
  banner: {
    js: "import{createRequire as __batonCreateRequire}from'node:module';const require=__batonCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});

// One shebang, on the first line, whether or not the entry point had its own.
const code = readFileSync(outfile, "utf8").replace(/^#!.*\n/, "");
writeFileSync(outfile, `#!/usr/bin/env node\n${code}`);
chmodSync(outfile, 0o755);
const bytes = Buffer.byteLength(readFileSync(outfile));
console.log(`build:agent: ${outfile} (${(bytes / 1024).toFixed(1)} KiB)`);
