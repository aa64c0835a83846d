/** A cluster whose heartbeats the endpoint cannot carry; the numbers are `HEARTBEAT_CAPACITY`. */
import { formatDuration } from "../../duration.js";
import { heartbeatsPerSecond } from "../../heartbeat/capacity.js";
import { HEARTBEAT_CAPACITY as C, TIMING_LIMITS } from "../limits.js";
import type { Salvage } from "../salvage.js";
import type { DefinitionProblem } from "../types.js";

const count = (n: number): string => n.toLocaleString("en-US", { maximumFractionDigits: 1 });

export function checkCapacity({ nodes, timing }: Salvage): DefinitionProblem[] {
  const interval = timing.heartbeatIntervalMs;
  if (interval === undefined || nodes.length === 0) return [];
  const load = heartbeatsPerSecond(nodes.length, interval);
  if (load <= C.maxHeartbeatsPerSecond) return [];
  const shortest = Math.max(
    TIMING_LIMITS.minHeartbeatIntervalMs,
    Math.ceil((nodes.length * 1000) / C.maxHeartbeatsPerSecond),
  );
  const most = Math.floor((C.maxHeartbeatsPerSecond * interval) / 1000);
  return [
    {
      path: "nodes",
      message:
        `${count(nodes.length)} nodes sending a heartbeat every ${formatDuration(interval)} (timing.heartbeatInterval) ` +
        `make ${count(load)} heartbeats per second; the heartbeat endpoint carries at most ${count(C.maxHeartbeatsPerSecond)} ` +
        `(each heartbeat is a write to the table's one state partition, which DynamoDB limits to 1,000 writes per second): ` +
        `set timing.heartbeatInterval to at least ${formatDuration(shortest)}, ` +
        `or split the nodes into clusters of at most ${count(most)} nodes.`,
    },
  ];
}
