import { describe, expect, it } from "vitest";
import { awsCall, classifyAwsError } from "../../../lib/aws/aws-call.js";
import { AwsRejectedError, AwsThrottledError, AwsUnavailableError } from "../../../lib/core/aws-errors.js";

/** An error shaped as the SDK v3 throws a service exception: name = AWS code, $fault, $metadata. */
function serviceError(code: string, status: number, extra: Record<string, unknown> = {}, message = "something"): Error {
  return Object.assign(new Error(message), {
    name: code,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status, requestId: "r-1", attempts: 3 },
    ...extra,
  });
}

function failing(error: Error): () => Promise<never> {
  return () => Promise.reject(error);
}

describe("awsCall", () => {
  it("returns the call's result", async () => {
    // Prepare
    const call = () => Promise.resolve(42);
    // Act
    const result = await awsCall("DescribeVolumes", call);
    // Assess
    expect(result).toBe(42);
  });

  it.each([
    ["RequestLimitExceeded", 503],
    ["Throttling", 400],
    ["ThrottlingException", 400],
    ["TooManyRequestsException", 400],
    ["PriorRequestNotComplete", 400],
    ["RequestThrottled", 400],
    ["SlowDown", 503],
  ])("classifies %s (HTTP %i) as throttled, by code, whatever the status", async (code, status) => {
    // Prepare
    const error = serviceError(code, status);
    // Act
    const call = awsCall("DescribeInstances", failing(error));
    // Assess
    await expect(call).rejects.toBeInstanceOf(AwsThrottledError);
    await expect(call).rejects.toMatchObject({ operation: "DescribeInstances", code, cause: error });
  });

  it("classifies an error the SDK marks $retryable.throttling as throttled, whatever its code", async () => {
    // Prepare
    const error = serviceError("SomeNewThrottle", 400, { $retryable: { throttling: true } });
    // Act
    const call = awsCall("Publish", failing(error));
    // Assess
    await expect(call).rejects.toBeInstanceOf(AwsThrottledError);
  });

  it("does not take a rejection whose message mentions throttling for throttling", async () => {
    // Prepare
    const error = serviceError("InvalidParameterValue", 400, {}, "Rate exceeded; throttling");
    // Act
    const call = awsCall("AttachVolume", failing(error));
    // Assess
    await expect(call).rejects.toBeInstanceOf(AwsRejectedError);
  });

  it.each([
    ["a 5xx answer", serviceError("InternalError", 500)],
    ["a 503 with an unknown code", serviceError("Unavailable", 503)],
    ["the request handler's timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
    ["an aborted call", Object.assign(new Error("aborted"), { name: "AbortError" })],
    ["a reset connection", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })],
  ])("classifies %s as unavailable", async (_, error) => {
    // Prepare: the error above
    // Act
    const call = awsCall("GetChange", failing(error));
    // Assess
    await expect(call).rejects.toBeInstanceOf(AwsUnavailableError);
    await expect(call).rejects.toMatchObject({ operation: "GetChange", cause: error });
  });

  it.each(["IncorrectState", "InvalidVolume.ZoneMismatch", "VolumeInUse", "NoSuchHostedZone"])(
    "classifies %s as rejected and keeps the code and message",
    async (code) => {
      // Prepare
      const error = serviceError(code, 400, {}, "the service says no");
      // Act
      const call = awsCall("AttachVolume", failing(error));
      // Assess
      await expect(call).rejects.toBeInstanceOf(AwsRejectedError);
      await expect(call).rejects.toMatchObject({ operation: "AttachVolume", code });
      await expect(call).rejects.toThrow("the service says no");
    },
  );

  it("takes the code from Code when the name is generic", () => {
    // Prepare
    const error = Object.assign(new Error("no"), { Code: "InvalidAllocationID.NotFound", $metadata: {} });
    // Act
    const classified = classifyAwsError("DescribeAddresses", error);
    // Assess
    expect(classified).toBeInstanceOf(AwsRejectedError);
    expect(classified).toMatchObject({ code: "InvalidAllocationID.NotFound" });
  });

  it("lets errors that are not AWS's, or already classified, through unchanged", () => {
    // Prepare
    const bug = new TypeError("x is undefined");
    const throttled = new AwsThrottledError("DescribeVolumes", "RequestLimitExceeded");
    // Act
    const results = [classifyAwsError("A", bug), classifyAwsError("B", throttled)];
    // Assess
    expect(results[0]).toBe(bug);
    expect(results[1]).toBe(throttled);
  });
});
