// The services' record and its overlap check moved to lib/demo (the demo judges its run by it); tests keep this path.
export * from "../../../lib/demo/record.js";
