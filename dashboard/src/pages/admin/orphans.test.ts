import { describe, expect, it } from "vitest";
import type { RangeSelection } from "../analytics/range";
import { KIND_INFO, ORPHAN_KINDS, TOP_PATHS, botPercent, clientText, orphanPoints, orphanQuery, orphanRangeKey, orphanSummary, shareText } from "./orphans";

const plain = (value: number) => String(value);
const en = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });
const selection = (overrides: Partial<RangeSelection> = {}): RangeSelection => ({
  preset: "30d",
  from: "",
  to: "",
  interval: "day",
  intervalIsDefault: true,
  includeBots: false,
  ...overrides,
});

describe("orphan kinds", () => {
  it("names and explains every kind the API sends", () => {
    for (const kind of ORPHAN_KINDS) {
      expect(KIND_INFO[kind].label).not.toBe("");
      expect(KIND_INFO[kind].explanation).toMatch(/\.$/);
    }
    expect(KIND_INFO.invalid_short_url.explanation).toContain("expired");
  });
});

describe("clientText", () => {
  it("joins what is known of the visitor's software", () => {
    expect(clientText({ browser: "Mobile Safari", os: "iOS", device: "mobile" })).toBe("Mobile Safari · iOS · Mobile");
    expect(clientText({ browser: "curl", os: null, device: null })).toBe("curl");
    expect(clientText({ browser: null, os: null, device: null })).toBeNull();
  });
});

describe("shares", () => {
  it("gives a kind's part of the total, and a dash when there is none", () => {
    expect(shareText(1, 8, en)).toBe("12.5%");
    expect(shareText(0, 8, en)).toBe("0%");
    expect(shareText(0, 0, en)).toBe("—");
  });

  it("rounds the bots' share without hiding a minority", () => {
    expect(botPercent(4, 3)).toBe(75);
    expect(botPercent(1000, 1)).toBe(1);
    expect(botPercent(1000, 999)).toBe(99);
    expect(botPercent(5, 0)).toBe(0);
    expect(botPercent(5, 5)).toBe(100);
    expect(botPercent(0, 0)).toBeNull();
  });
});

describe("the range asked for", () => {
  const now = new Date("2026-03-17T12:34:00Z");

  it("sends the viewer's dates and zone, the interval and the number of paths, never include_bots", () => {
    expect(orphanQuery(selection({ preset: "7d", includeBots: true }), "Europe/Berlin", now)).toEqual({
      from: "2026-03-11",
      to: "2026-03-17",
      tz: "Europe/Berlin",
      interval: "day",
      top: TOP_PATHS,
    });
    expect(orphanQuery(selection({ preset: "24h", interval: "hour" }), "Europe/Berlin", now)).toEqual({
      from: "2026-03-16T14:00:00+01:00",
      tz: "Europe/Berlin",
      interval: "hour",
      top: TOP_PATHS,
    });
  });

  it("keys a cached answer by what changes it", () => {
    expect(orphanRangeKey(selection({ includeBots: true }), "UTC")).toEqual(orphanRangeKey(selection(), "UTC"));
    expect(orphanRangeKey(selection({ from: "2026-01-01" }), "UTC")).toEqual(orphanRangeKey(selection(), "UTC"));
    expect(orphanRangeKey(selection({ preset: "custom", from: "2026-01-01", to: "2026-01-02" }), "UTC")).toMatchObject({ from: "2026-01-01", to: "2026-01-02" });
    expect(orphanRangeKey(selection(), "UTC")).not.toEqual(orphanRangeKey(selection(), "Europe/Berlin"));
  });
});

describe("the series", () => {
  it("labels buckets in the range's zone", () => {
    const [day] = orphanPoints([{ start: "2026-03-01T00:00:00+01:00", visits: 3 }], "day", "Europe/Berlin", "en-GB");
    expect(day).toEqual({ start: "2026-03-01T00:00:00+01:00", tick: "1 Mar", label: "Sun, 1 Mar 2026", visits: 3 });
    const [hour] = orphanPoints([{ start: "2026-03-01T14:30:00+05:30", visits: 1 }], "hour", "Asia/Kolkata", "en-GB");
    expect(hour?.tick).toBe("14:30");
  });

  it("sums the series up in a sentence, naming the first busiest bucket", () => {
    const points = orphanPoints(
      [
        { start: "2026-03-01T00:00:00Z", visits: 4 },
        { start: "2026-03-02T00:00:00Z", visits: 4 },
        { start: "2026-03-03T00:00:00Z", visits: 1 },
      ],
      "day",
      "UTC",
      "en-GB",
    );
    expect(orphanSummary(points, "day", plain)).toBe("9 orphan visits over 3 daily points. Busiest: Sun, 1 Mar 2026 with 4.");
    expect(orphanSummary(orphanPoints([{ start: "2026-03-01T00:00:00Z", visits: 1 }], "week", "UTC", "en-GB"), "week", plain)).toBe(
      "1 orphan visit over 1 weekly point. Busiest: Week of 1 Mar 2026 with 1.",
    );
    expect(orphanSummary(orphanPoints([{ start: "2026-03-01T00:00:00Z", visits: 0 }], "day", "UTC"), "day", plain)).toBe("0 orphan visits over 1 daily point.");
  });
});
