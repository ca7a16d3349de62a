import { describe, expect, it } from "vitest";
import { createKeySchema, curlExample } from "./scopes";

describe("createKeySchema", () => {
  it("takes a trimmed name and at least one known scope", () => {
    expect(createKeySchema.parse({ name: "  Deploy script ", scopes: ["links:read"] })).toEqual({ name: "Deploy script", scopes: ["links:read"] });
  });

  it("needs a name, without control characters, and a scope", () => {
    const result = createKeySchema.safeParse({ name: "  ", scopes: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["name", "scopes"]);
    expect(createKeySchema.safeParse({ name: "two\nlines", scopes: ["links:read"] }).success).toBe(false);
  });

  it("refuses a scope the API does not know", () => {
    expect(createKeySchema.safeParse({ name: "x", scopes: ["users:write"] }).success).toBe(false);
  });
});

describe("curlExample", () => {
  it("sends the key in the X-API-Key header", () => {
    expect(curlExample("https://hop.example", "hop_abc")).toBe('curl -H "X-API-Key: hop_abc" https://hop.example/api/v1/links');
  });
});
