import { describe, expect, it } from "vitest";
import { loadAgentConfigText } from "../../../lib/core/agent/config.js";
import { redactUrl, redactUrls } from "../../../lib/core/redact.js";

const GOOD = `heartbeatUrl: https://abc123.execute-api.us-east-1.amazonaws.com/v1/heartbeat
nodeId: db-a
region: us-east-1
`;

function messagesOf(text: string): string {
  const result = loadAgentConfigText(text);
  if (result.ok) throw new Error("expected problems");
  return result.problems.map((problem) => problem.message).join("\n");
}

describe("redactUrl", () => {
  it.each([
    ["http://user:s3cret@proxy.example:3128", "http://user:***@proxy.example:3128"],
    // Not valid URLs, but typed by people: the whole password is hidden, up to the last '@'.
    ["http://user:p@ss/w rd@proxy.example:3128/x", "http://user:***@proxy.example:3128/x"],
    ["https://user:@proxy", "https://user:***@proxy"],
    ["http://proxy.example:3128", "http://proxy.example:3128"],
    ["http://token@proxy.example:3128", "http://token@proxy.example:3128"],
    ["not a url: user:s3cret@host", "not a url: user:s3cret@host"],
  ])("%s shows as %s", (text, shown) => {
    // Act
    const result = redactUrl(text);
    // Assess
    expect(result).toBe(shown);
  });

  it("hides the password of every URL in a free text", () => {
    // Act
    const result = redactUrls(`connect to "http://u:s3cret@a:1" failed, then http://v:t0ps3cret@b:2/ too`);
    // Assess
    expect(result).toBe(`connect to "http://u:***@a:1" failed, then http://v:***@b:2/ too`);
  });
});

describe("the agent configuration's messages", () => {
  it.each([
    ["proxy", "http://user:s3cret@proxy.example:3128/path"],
    ["proxy", "ftp://user:s3cret@proxy.example:3128"],
    ["proxy", "http://user:s3cret@proxy example:3128"],
    ["heartbeatUrl", "http://user:s3cret@10.0.0.5/v1/heartbeat"],
    ["heartbeatUrl", "ftp://user:s3cret@example.com"],
    ["heartbeatUrl", "https://user:s3cret@exa mple.com"],
  ])("never show the password of a bad %s %s", (key, url) => {
    // Prepare
    const text =
      key === "proxy" ? `${GOOD}proxy: "${url}"\n` : GOOD.replace(/heartbeatUrl: .*/, `heartbeatUrl: "${url}"`);
    // Act
    const messages = messagesOf(text);
    // Assess
    expect(messages).toContain("user:***@");
    expect(messages).not.toContain("s3cret");
  });
});
