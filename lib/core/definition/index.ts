/** The cluster definition: types, loading, validation and error reporting. */
export * from "./types.js";
export { parseDefinition } from "./parse.js";
export { loadDefinitionText } from "./load.js";
export { DefinitionError, formatProblems } from "./errors.js";
export { DEFAULTS, TIMING_LIMITS } from "./limits.js";
export { formatPath, parsePath, type PathSegment } from "./path.js";
