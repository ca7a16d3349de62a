import { describe, expect, it } from "vitest";
import { bulkFailures, bulkSummary, stillSelected } from "./bulkActions";

const result = {
  succeeded: 2,
  failed: 2,
  results: [
    { code: "a", ok: true, error: null },
    { code: "b", ok: false, error: { code: "link_not_found", detail: "no link with the short code 'b'" } },
    { code: "c", ok: true, error: null },
    { code: "d", ok: false, error: { code: "too_many_tags", detail: "the link 'd' would have more than 32 tags" } },
  ],
};

describe("bulk actions", () => {
  it("summarises what was done and what failed", () => {
    expect(bulkSummary("disable", { succeeded: 1, failed: 0 })).toBe("Disabled 1 link.");
    expect(bulkSummary("delete", result)).toBe("Deleted 2 links; 2 failed.");
  });

  it("lists each failure with the API's message", () => {
    expect(bulkFailures(result)).toEqual([
      { code: "b", message: "no link with the short code 'b'" },
      { code: "d", message: "the link 'd' would have more than 32 tags" },
    ]);
  });

  it("keeps the failed codes that still exist selected", () => {
    expect(stillSelected(result)).toEqual({ d: true });
  });
});
