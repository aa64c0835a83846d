// The agent-process helpers moved to lib/demo (the demo runs real agents too); tests keep this path.
export * from "../../lib/demo/agent-process.js";
