// Moved to lib/sim (baton simulate runs the same world); the simulation keeps this path.
export * from "../../lib/sim/trace.js";
