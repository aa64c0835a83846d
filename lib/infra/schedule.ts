/**
 * How often EventBridge invokes the controller function. Kept apart from the CDK code (controller-function.ts builds
 * the schedule from it) because the controller's handler needs it too, without aws-cdk-lib in its bundle: an
 * invocation stops starting passes before the next one begins.
 */
export const CONTROLLER_SCHEDULE_MINUTES = 1;

export const CONTROLLER_SCHEDULE_MS = CONTROLLER_SCHEDULE_MINUTES * 60_000;
