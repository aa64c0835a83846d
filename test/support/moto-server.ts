// moto_server's lifecycle moved to lib/demo (the demo uses it when it is on the PATH); tests keep this path.
export * from "../../lib/demo/moto-server.js";
