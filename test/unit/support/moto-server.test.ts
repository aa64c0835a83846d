import { afterEach, describe, expect, it } from "vitest";
import { MOTO_MISSING, startMotoServer } from "../../support/moto-server.js";

describe("startMotoServer", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("fails with a clear message, never a skip, when moto_server is not installed", async () => {
    // Prepare
    process.env.PATH = "/nonexistent";
    // Act
    const start = startMotoServer();
    // Assess
    await expect(start).rejects.toThrow(MOTO_MISSING);
  });
});
