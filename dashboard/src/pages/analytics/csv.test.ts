import { describe, expect, it } from "vitest";
import { breakdownToCsv, csvCell, fileSlug, seriesToCsv, toCsv } from "./csv";

describe("CSV", () => {
  it("writes the series one bucket a line, with a header", () => {
    const csv = seriesToCsv([
      { start: "2026-03-01T00:00:00+01:00", clicks: 5, human_clicks: 5, bot_clicks: 2, visitors: 4 },
      { start: "2026-03-02T00:00:00+01:00", clicks: 0, human_clicks: 0, bot_clicks: 0, visitors: 0 },
    ]);
    expect(csv).toBe(
      "start,clicks,human_clicks,bot_clicks,visitors\r\n" + "2026-03-01T00:00:00+01:00,5,5,2,4\r\n" + "2026-03-02T00:00:00+01:00,0,0,0,0\r\n",
    );
  });

  it("writes an empty series as its header alone", () => {
    expect(seriesToCsv([])).toBe("start,clicks,human_clicks,bot_clicks,visitors\r\n");
  });

  it("quotes commas, quotes and line breaks", () => {
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("makes visitor-controlled text that a spreadsheet would run inert", () => {
    expect(csvCell("=HYPERLINK(\"http://evil\")")).toBe("\"'=HYPERLINK(\"\"http://evil\"\")\"");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell(-3)).toBe("-3");
  });

  it("writes a breakdown with shares", () => {
    const csv = breakdownToCsv("referrers", [
      { key: "a", label: "news.example", clicks: 2, humanClicks: 2, botClicks: 0, share: 2 / 3 },
      { key: "b", label: "Other", clicks: 1, humanClicks: 0, botClicks: 0, share: 1 / 3, other: true },
    ]);
    expect(csv).toBe("referrers,clicks,share\r\nnews.example,2,0.6667\r\nOther,1,0.3333\r\n");
    expect(toCsv(["a"], [])).toBe("a\r\n");
  });

  it("makes file name parts", () => {
    expect(fileSlug("Last 24 hours")).toBe("last-24-hours");
    expect(fileSlug("2026-03-01 to 2026-03-31")).toBe("2026-03-01-to-2026-03-31");
    expect(fileSlug("!!!")).toBe("range");
  });
});
