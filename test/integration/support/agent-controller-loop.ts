// The controller loop moved to lib/demo (the demo runs the controller on its tick); tests keep this path.
export * from "../../../lib/demo/controller-loop.js";
