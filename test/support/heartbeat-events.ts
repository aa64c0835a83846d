import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";

import { ACCOUNT } from "../../lib/demo/account.js";

export { ACCOUNT, LAMBDA_CONTEXT } from "../../lib/demo/account.js";

/** The identities the example cluster's nodes sign with (examples/cluster.yaml). */
export const CALLERS = {
  "db-a": `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node/i-0a1b2c3d4e5f60001`,
  "db-b": `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node/i-0a1b2c3d4e5f60002`,
  "office-1": `arn:aws:sts::${ACCOUNT}:assumed-role/baton-node-office-1/roles-anywhere-office-1`,
} as const;

export interface HeartbeatBody {
  nodeId: string;
  bootId: string;
  seq: number;
  resources: Record<string, string>;
}

export function heartbeatBody(nodeId: string, overrides: Partial<HeartbeatBody> = {}) {
  return { nodeId, bootId: randomUUID(), seq: 1, resources: {}, ...overrides };
}

/** An API Gateway HTTP API (payload 2.0) event with the IAM authorizer's context. */
export function heartbeatEvent(
  body: unknown,
  callerArn: string | undefined,
  options: { raw?: boolean; base64?: boolean; userId?: string } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const text = options.raw ? String(body) : JSON.stringify(body);
  return {
    version: "2.0",
    routeKey: "POST /v1/heartbeat",
    rawPath: "/v1/heartbeat",
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    body: options.base64 ? Buffer.from(text).toString("base64") : text,
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method: "POST",
        path: "/v1/heartbeat",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.10",
        userAgent: "baton-agent",
      },
      requestId: randomUUID(),
      routeKey: "POST /v1/heartbeat",
      stage: "$default",
      time: "22/Nov/2026:03:00:00 +0000",
      timeEpoch: 0,
      authorizer: {
        iam: {
          accessKey: "ASIAEXAMPLE",
          accountId: ACCOUNT,
          callerId: options.userId ?? "AROAEXAMPLE:session",
          cognitoIdentity: null,
          principalOrgId: "",
          userArn: callerArn ?? "",
          userId: options.userId ?? "AROAEXAMPLE:session",
        },
      },
    },
  };
}

/**
 * A Lambda function URL event (`AWS_IAM` auth), as AWS documents its payload
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads): payload format 2.0 with
 * `routeKey` `$default` (a function URL routes every method and path to the function), the URL's own domain, and
 * the SigV4 caller in `requestContext.authorizer.iam`, whose `cognitoIdentity` and `principalOrgId` are null.
 */
export function functionUrlEvent(
  body: unknown,
  callerArn: string | undefined,
  options: { userId?: string; method?: string; path?: string } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const path = options.path ?? "/v1/heartbeat";
  const userId = options.userId ?? "AROAEXAMPLE:session";
  const iam = {
    accessKey: "ASIAEXAMPLE",
    accountId: ACCOUNT,
    callerId: userId,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: callerArn ?? "",
    userId,
  };
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: "anonymous",
      apiId: "abcdefghijklmnopqrstuvwxyz012345",
      domainName: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
      domainPrefix: "abcdefghijklmnopqrstuvwxyz012345",
      http: {
        method: options.method ?? "POST",
        path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.10",
        userAgent: "baton-agent",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "22/Nov/2026:03:00:00 +0000",
      timeEpoch: 0,
      // The types give principalOrgId as a string; the function URL payload has null.
      authorizer: {
        iam: iam as unknown as APIGatewayProxyEventV2WithIAMAuthorizer["requestContext"]["authorizer"]["iam"],
      },
    },
  };
}
