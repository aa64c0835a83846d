/** The account of the local stand-ins (moto's default account): identities and ARNs name it. */
export const ACCOUNT = "123456789012";
/** The context API Gateway's Lambda integration gives: the function's own ARN names the account. */
export const LAMBDA_CONTEXT = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:baton-heartbeat` };
