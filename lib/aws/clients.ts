import { EC2Client } from "@aws-sdk/client-ec2";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SNSClient } from "@aws-sdk/client-sns";

export interface AwsClientOptions {
  /** A slow connect is a failed one. */
  readonly connectionTimeoutMs?: number;
  /** Per attempt: a stuck call fails fast and the next controller tick tries again. */
  readonly requestTimeoutMs?: number;
  /** Attempts per call, with the SDK's jittered backoff, which retries throttling by error code. */
  readonly maxAttempts?: number;
}

const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 3_000;

function requestHandler(options: AwsClientOptions) {
  return {
    connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
  };
}

/**
 * EC2: 1 s to connect, 3 s per attempt, 3 attempts (standard retry mode). Region and
 * endpoint come from the SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2).
 */
export function createEc2Client(options: AwsClientOptions = {}): EC2Client {
  return new EC2Client({
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestHandler: requestHandler(options),
  });
}

/**
 * Route 53: its API allows 5 requests a second per account, shared with whatever else the
 * account runs, so 5 attempts in adaptive mode (the SDK also rate-limits itself on throttling).
 * Endpoint: AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_ROUTE_53.
 */
export function createRoute53Client(options: AwsClientOptions = {}): Route53Client {
  return new Route53Client({
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: "adaptive",
    requestHandler: requestHandler(options),
  });
}

/** SNS: as EC2. Endpoint: AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_SNS. */
export function createSnsClient(options: AwsClientOptions = {}): SNSClient {
  return new SNSClient({
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestHandler: requestHandler(options),
  });
}

/** EventBridge: as SNS. Endpoint: AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_EVENTBRIDGE. */
export function createEventBridgeClient(options: AwsClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestHandler: requestHandler(options),
  });
}
