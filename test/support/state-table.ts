// The state table's creation moved to lib/demo (the demo creates one); tests keep this path.
export * from "../../lib/demo/state-table.js";
