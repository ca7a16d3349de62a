import { describe, expect, it } from "vitest";
import { bulkFailures, bulkSummary, byDomain, stillSelected } from "./bulkActions";

const result = {
  succeeded: 2,
  failed: 3,
  results: [
    { code: "a", domain: null, ok: true, error: null },
    { code: "b", domain: null, ok: false, error: { code: "link_not_found", detail: "no link with the short code 'b'" } },
    { code: "c", domain: null, ok: true, error: null },
    { code: "d", domain: null, ok: false, error: { code: "too_many_tags", detail: "the link 'd' would have more than 32 tags" } },
    { code: "d", domain: "go.example", ok: false, error: { code: "too_many_tags", detail: "the link 'd' would have more than 32 tags" } },
  ],
};

describe("bulk actions", () => {
  it("summarises what was done and what failed", () => {
    expect(bulkSummary("disable", { succeeded: 1, failed: 0 })).toBe("Disabled 1 link.");
    expect(bulkSummary("delete", result)).toBe("Deleted 2 links; 3 failed.");
  });

  it("lists each failure with the API's message, naming the domain of a link on another one", () => {
    expect(bulkFailures(result)).toEqual([
      { link: "/b", message: "no link with the short code 'b'" },
      { link: "/d", message: "the link 'd' would have more than 32 tags" },
      { link: "go.example/d", message: "the link 'd' would have more than 32 tags" },
    ]);
  });

  it("keeps the failed links that still exist selected, by their keys", () => {
    expect(stillSelected(result)).toEqual({ d: true, "go.example/d": true });
  });

  it("groups the selection by domain, one request each", () => {
    const groups = byDomain([
      { code: "a", domain: null },
      { code: "b", domain: "go.example" },
      { code: "c", domain: null },
    ]);
    expect([...groups]).toEqual([
      [null, ["a", "c"]],
      ["go.example", ["b"]],
    ]);
  });
});
