import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { HeartbeatRequest } from "../core/heartbeat/admit.js";
import { heartbeatRoute } from "../infra/names.js";
import { jsonResponse } from "./http-errors.js";

/**
 * What reaches the heartbeat function: an API Gateway HTTP API event (payload format 2.0, IAM authorization) or a
 * Lambda function URL event (`AWS_IAM` auth). Both use payload format 2.0 and carry the caller that SigV4 proved in
 * `requestContext.authorizer.iam` (`userArn`, `userId`, `accountId`, `accessKey`, `callerId`):
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads and
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html.
 * They differ in what is routed: the HTTP API passes only `POST /v1/heartbeat` (its one route), a function URL passes
 * every method and path (`routeKey` is `$default`), so the handler checks the request line itself.
 */
export type HeartbeatEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

/** The heartbeat request in an event of either shape, or the answer to a request line that is not the heartbeat's. */
export function heartbeatRequestOf(
  event: HeartbeatEvent,
): { readonly request: HeartbeatRequest } | { readonly refused: APIGatewayProxyStructuredResultV2 } {
  const path = event.rawPath ?? event.requestContext?.http?.path;
  if (path !== heartbeatRoute.path) {
    return {
      refused: jsonResponse(404, {
        error: { code: "NotFound", message: `Heartbeats go to ${heartbeatRoute.method} ${heartbeatRoute.path}.` },
      }),
    };
  }
  if (event.requestContext?.http?.method !== heartbeatRoute.method) {
    const refused = jsonResponse(405, {
      error: { code: "MethodNotAllowed", message: `Heartbeats are sent with ${heartbeatRoute.method}.` },
    });
    return { refused: { ...refused, headers: { ...refused.headers, allow: heartbeatRoute.method } } };
  }
  // Optional chaining: a caller the endpoint did not authenticate with IAM has no `iam` (admitHeartbeat refuses it).
  const iam = (event.requestContext.authorizer as Partial<HeartbeatEvent["requestContext"]["authorizer"]> | undefined)
    ?.iam;
  return {
    request: {
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      callerArn: iam?.userArn,
      callerUserId: iam?.userId,
    },
  };
}
