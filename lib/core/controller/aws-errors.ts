/**
 * The AWS error family now lives in lib/core/aws-errors.ts (shared with the heartbeat path's table errors); this
 * module re-exports it so that existing imports keep working. New code imports lib/core/aws-errors.js.
 */
export { AwsCallError, AwsRejectedError, AwsThrottledError, AwsUnavailableError } from "../aws-errors.js";
