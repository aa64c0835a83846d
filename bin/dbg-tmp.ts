import { mkdtempSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { DemoCluster } from "../lib/demo/cluster.js";
for (let run = 0; run < 3; run++) {
const c = await DemoCluster.start({ definitionPath: "examples/demo.yaml", moto: false, dir: mkdtempSync("/tmp/dbg-") });
await sleep(12000);
const stuck = [...(c.snapshot?.groups.values() ?? [])].filter(g => g.status !== "online");
console.log("run", run, stuck.length === 0 ? "all online" : JSON.stringify(stuck, null, 0));
if (stuck.length) { const ps = c.controller.passes.slice(-3); for (const p of ps) console.log(p.endedAt - p.startedAt, JSON.stringify(p.result)); console.log(c.events.map(e => `${e.at} ${e.source} ${e.text}`).join("\n")); console.log(JSON.stringify([...c.snapshot!.liveness.values()].map(l => ({n: l.nodeId, r: l.resources, e: l.epochs, seq: l.seq, boot: l.bootId.slice(0,6)})))); }
await c.close();
if (stuck.length) break;
}
