import { describe, expect, it } from "vitest";
import { chartPoints, peak, seriesSummary } from "./series";

const point = (start: string, human: number, bot = 0) => ({ start, clicks: human, human_clicks: human, bot_clicks: bot, visitors: human });
const plain = (value: number) => String(value);

describe("series", () => {
  it("labels buckets in the range's zone", () => {
    const [first] = chartPoints([point("2026-03-01T00:00:00+01:00", 1)], "day", "Europe/Berlin", "en-GB");
    expect(first?.tick).toBe("1 Mar");
    expect(first?.label).toBe("Sun, 1 Mar 2026");
    const [hour] = chartPoints([point("2026-03-01T14:30:00+05:30", 1)], "hour", "Asia/Kolkata", "en-GB");
    expect(hour?.tick).toBe("14:30");
    const [week] = chartPoints([point("2026-03-02T00:00:00+01:00", 1)], "week", "Europe/Berlin", "en-GB");
    expect(week?.label).toBe("Week of 2 Mar 2026");
    const [month] = chartPoints([point("2026-03-01T00:00:00+01:00", 1)], "month", "Europe/Berlin", "en-GB");
    expect(month?.label).toBe("March 2026");
  });

  it("keeps humans and bots apart for stacking", () => {
    const [first] = chartPoints([point("2026-03-01T00:00:00Z", 4, 3)], "day", "UTC", "en-GB");
    expect(first).toMatchObject({ human: 4, bot: 3, visitors: 4 });
  });

  it("finds the busiest bucket, counting bots only when asked", () => {
    const points = chartPoints([point("2026-03-01T00:00:00Z", 2, 10), point("2026-03-02T00:00:00Z", 5, 0)], "day", "UTC", "en-GB");
    expect(peak(points, false)?.start).toBe("2026-03-02T00:00:00Z");
    expect(peak(points, true)?.start).toBe("2026-03-01T00:00:00Z");
    expect(peak(chartPoints([point("2026-03-01T00:00:00Z", 0)], "day", "UTC"), false)).toBeNull();
  });

  it("sums the series up in a sentence", () => {
    const points = chartPoints([point("2026-03-01T00:00:00Z", 2, 10), point("2026-03-02T00:00:00Z", 5, 0)], "day", "UTC", "en-GB");
    expect(seriesSummary(points, "day", false, plain)).toBe("7 human clicks over 2 daily points. Busiest: Mon, 2 Mar 2026 with 5.");
    expect(seriesSummary(points, "day", true, plain)).toBe("17 clicks (humans and bots) over 2 daily points. Busiest: Sun, 1 Mar 2026 with 12.");
  });
});
