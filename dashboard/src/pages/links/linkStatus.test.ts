import { describe, expect, it } from "vitest";
import { linkStatuses } from "./linkStatus";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const link = { disabled: false, expires_at: null, max_clicks: null, click_count: 0 };

describe("linkStatuses", () => {
  it("is active when nothing stops the link", () => {
    expect(linkStatuses(link, NOW)).toEqual(["active"]);
    expect(linkStatuses({ ...link, expires_at: "2026-06-01T12:00:01Z", max_clicks: 10, click_count: 9 }, NOW)).toEqual(["active"]);
  });

  it("is expired from the expiry instant on", () => {
    expect(linkStatuses({ ...link, expires_at: "2026-06-01T12:00:00Z" }, NOW)).toEqual(["expired"]);
  });

  it("has reached its limit when the clicks (bots included) reach max_clicks", () => {
    expect(linkStatuses({ ...link, max_clicks: 10, click_count: 10 }, NOW)).toEqual(["limit_reached"]);
  });

  it("lists every reason at once", () => {
    expect(linkStatuses({ disabled: true, expires_at: "2020-01-01T00:00:00Z", max_clicks: 1, click_count: 5 }, NOW)).toEqual([
      "disabled",
      "expired",
      "limit_reached",
    ]);
  });
});
