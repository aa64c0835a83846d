// Placeholder: replaced by the real heartbeat handler (issue 2, section 4).
import type { APIGatewayProxyResultV2 } from "aws-lambda";

export const handler = async (): Promise<APIGatewayProxyResultV2> => Promise.resolve({ statusCode: 501 });
