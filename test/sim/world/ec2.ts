// Moved to lib/sim/world (baton simulate runs the same world); the simulation keeps this path.
export * from "../../../lib/sim/world/ec2.js";
