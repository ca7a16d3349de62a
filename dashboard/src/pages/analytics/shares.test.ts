import { describe, expect, it } from "vitest";
import { formatShareEn, humanPercent, shareOf, shareRows } from "./shares";

const row = (value: string | null, clicks: number, bots = 0) => ({ value, clicks, human_clicks: clicks - bots, bot_clicks: bots });
const describeRow = (item: { value: string | null }) => ({ key: item.value ?? "", label: item.value ?? "Unknown" });

describe("breakdown shares", () => {
  it("gives each row its share of all clicks and adds the rest up as Other", () => {
    const rows = shareRows([row("google.com", 50), row("t.co", 30), row(null, 10)], 120, describeRow);
    expect(rows.map((item) => [item.label, item.clicks, item.share])).toEqual([
      ["google.com", 50, 50 / 120],
      ["t.co", 30, 0.25],
      ["Unknown", 10, 10 / 120],
      ["Other", 30, 0.25],
    ]);
    expect(rows.at(-1)?.other).toBe(true);
    expect(rows.reduce((sum, item) => sum + item.share, 0)).toBeCloseTo(1);
  });

  it("adds no Other row when the rows cover every click", () => {
    expect(shareRows([row("FR", 3), row("DE", 1)], 4, describeRow).map((item) => item.label)).toEqual(["FR", "DE"]);
  });

  it("copes with no clicks and with rows that overshoot the total", () => {
    expect(shareRows([], 0, describeRow)).toEqual([]);
    expect(shareRows([], 10, describeRow)).toEqual([]);
    expect(shareOf(5, 0)).toBe(0);
    expect(shareOf(12, 10)).toBe(1);
    expect(shareOf(0, 10)).toBe(0);
  });

  it("gives rows that read alike keys of their own", () => {
    const rows = shareRows([row(null, 3), row(null, 2), row(null, 1)], 6, describeRow);
    expect(rows.map((item) => item.key)).toEqual(["", "#1", "#2"]);
  });

  it("keeps each row's human and bot clicks", () => {
    const [first] = shareRows([row("curl", 10, 7)], 10, describeRow);
    expect(first).toMatchObject({ humanClicks: 3, botClicks: 7 });
  });

  it("formats shares, never calling a few clicks 0%", () => {
    expect(formatShareEn(0.25)).toBe("25%");
    expect(formatShareEn(1 / 3)).toBe("33.3%");
    expect(formatShareEn(0)).toBe("0%");
    expect(formatShareEn(0.0004)).toBe("<0.1%");
  });

  it("splits humans from bots without rounding either away", () => {
    expect(humanPercent(0, 0)).toBeNull();
    expect(humanPercent(3, 1)).toBe(75);
    expect(humanPercent(999, 1)).toBe(99);
    expect(humanPercent(1, 999)).toBe(1);
    expect(humanPercent(5, 0)).toBe(100);
    expect(humanPercent(0, 5)).toBe(0);
  });
});
