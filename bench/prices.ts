// List prices used by `npm run bench:cost`: us-east-1, arm64, on-demand, no free tier, checked 2026-11-30.
// Prices are constants (with their source); everything they are multiplied by is measured (bench/cost.ts).

export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
}

export const PRICES = {
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: "request",
    source: "https://aws.amazon.com/lambda/pricing/ (Requests: $0.20 per 1M requests)",
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: "GB-second (arm64, first 7.5 billion GB-s a month)",
    source: "https://aws.amazon.com/lambda/pricing/ (Arm price, Duration)",
  },
  httpApiRequest: {
    usd: 1.0 / 1e6,
    per: "HTTP API request (first 300 million a month, 512 KB increments)",
    source: "https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs)",
  },
  functionUrlRequest: {
    usd: 0,
    per: "function URL request (billed as the function's own request and duration only)",
    source: "https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-pricing",
  },
  dynamoWriteUnit: {
    usd: 0.625 / 1e6,
    per: "write request unit (on-demand, 1 KB)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/ (Write request units, price cut of 2024-11-01)",
  },
  dynamoReadUnit: {
    usd: 0.125 / 1e6,
    per: "read request unit (on-demand, one strongly consistent read of 4 KB)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/ (Read request units)",
  },
  kmsKeyMonth: {
    usd: 1.0,
    per: "customer managed key a month",
    source: "https://aws.amazon.com/kms/pricing/ ($1/month per key)",
  },
  logsIngestGb: {
    usd: 0.5,
    per: "GB of CloudWatch Logs ingested (standard class)",
    source: "https://aws.amazon.com/cloudwatch/pricing/ (Logs, Collect)",
  },
  customMetricMonth: {
    usd: 0.3,
    per: "custom metric a month (first 10,000; prorated by the hour it is published)",
    source: "https://aws.amazon.com/cloudwatch/pricing/ (Metrics)",
  },
  alarmMonth: {
    usd: 0.1,
    per: "standard-resolution metric alarm a month",
    source: "https://aws.amazon.com/cloudwatch/pricing/ (Alarms)",
  },
  xrayTrace: {
    usd: 5.0 / 1e6,
    per: "trace recorded",
    source: "https://aws.amazon.com/xray/pricing/ ($5.00 per 1 million traces recorded)",
  },
  route53HealthCheck: {
    usd: 0.5,
    per: "basic health check of an AWS endpoint a month ($0.75 outside AWS, options extra)",
    source: "https://aws.amazon.com/route53/pricing/ (Health checks)",
  },
  t4gNanoHour: {
    usd: 0.0042,
    per: "t4g.nano on-demand hour (plus an 8 GB gp3 volume at $0.08/GB-month)",
    source: "https://aws.amazon.com/ec2/pricing/on-demand/ and https://aws.amazon.com/ebs/pricing/",
  },
  gp3GbMonth: {
    usd: 0.08,
    per: "gp3 GB-month",
    source: "https://aws.amazon.com/ebs/pricing/",
  },
} as const satisfies Record<string, Price>;

/** Seconds in the month these estimates are for: AWS's pricing pages count 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600;

/**
 * How Lambda samples for active X-Ray tracing: the first request each second and 5 % of the others; not
 * configurable for the function itself. https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
export const XRAY_RESERVOIR_PER_SECOND = 1;
export const XRAY_FIXED_RATE = 0.05;

/** DynamoDB's capacity units: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html */
export const DYNAMO_WRITE_UNIT_BYTES = 1024;
export const DYNAMO_READ_UNIT_BYTES = 4096;
