import { describe, expect, it } from "vitest";
import {
  HOURLY_HINT,
  type RangeSelection,
  customRangeProblem,
  defaultInterval,
  intervalAllowed,
  parseRangeParams,
  rangeDays,
  rangeParams,
  resolveRange,
  withCustomDates,
  withPreset,
} from "./range";

const TODAY = "2026-03-17";
const parse = (search: string) => parseRangeParams(new URLSearchParams(search), TODAY);
const selection = (overrides: Partial<RangeSelection> = {}): RangeSelection => ({
  preset: "30d",
  from: "",
  to: "",
  interval: "day",
  intervalIsDefault: true,
  includeBots: false,
  ...overrides,
});

describe("presets to from/to", () => {
  const now = new Date("2026-03-17T10:42:13Z");

  it("ends the day presets today, counting today, in the viewer's zone", () => {
    expect(resolveRange(selection({ preset: "7d" }), now, "Europe/Berlin")).toEqual({ from: "2026-03-11", to: "2026-03-17" });
    expect(resolveRange(selection({ preset: "30d" }), now, "Europe/Berlin")).toEqual({ from: "2026-02-16", to: "2026-03-17" });
    expect(resolveRange(selection({ preset: "90d" }), now, "Europe/Berlin")).toEqual({ from: "2025-12-18", to: "2026-03-17" });
    expect(resolveRange(selection({ preset: "month" }), now, "Europe/Berlin")).toEqual({ from: "2026-03-01", to: "2026-03-17" });
  });

  it("uses the viewer's date, which may differ from UTC's", () => {
    const lateEvening = new Date("2026-03-01T03:00:00Z");
    expect(resolveRange(selection({ preset: "month" }), lateEvening, "America/Los_Angeles")).toEqual({ from: "2026-02-01", to: "2026-02-28" });
    expect(resolveRange(selection({ preset: "month" }), lateEvening, "Europe/Berlin")).toEqual({ from: "2026-03-01", to: "2026-03-01" });
  });

  it("starts the last 24 hours 23 whole hours before the current one, open-ended, on a quarter hour", () => {
    const range = resolveRange(selection({ preset: "24h" }), now, "Europe/Berlin");
    expect(range).toEqual({ from: "2026-03-16T12:00:00+01:00" });
    expect(new Date(range.from).toISOString()).toBe("2026-03-16T11:00:00.000Z");
    expect(resolveRange(selection({ preset: "24h" }), now, "Asia/Kolkata").from).toBe("2026-03-16T16:30:00+05:30");
  });

  it("passes custom dates through", () => {
    expect(resolveRange(selection({ preset: "custom", from: "2026-01-01", to: "2026-01-31" }), now, "UTC")).toEqual({ from: "2026-01-01", to: "2026-01-31" });
  });
});

describe("interval defaults and limits", () => {
  it("defaults from the range's length", () => {
    expect(defaultInterval(1)).toBe("hour");
    expect(defaultInterval(2)).toBe("hour");
    expect(defaultInterval(7)).toBe("day");
    expect(defaultInterval(90)).toBe("day");
    expect(defaultInterval(180)).toBe("week");
    expect(defaultInterval(400)).toBe("month");
  });

  it("refuses hourly points beyond 31 days only", () => {
    expect(intervalAllowed("hour", 31)).toBe(true);
    expect(intervalAllowed("hour", 32)).toBe(false);
    expect(intervalAllowed("day", 1000)).toBe(true);
  });

  it("counts a range's days", () => {
    expect(rangeDays("24h", "", "", TODAY)).toBe(1);
    expect(rangeDays("90d", "", "", TODAY)).toBe(90);
    expect(rangeDays("month", "", "", TODAY)).toBe(17);
    expect(rangeDays("custom", "2026-01-01", "2026-02-01", TODAY)).toBe(32);
  });
});

describe("URL search params", () => {
  it("defaults to the last 30 days, daily, humans only", () => {
    expect(parse("")).toEqual({ selection: selection(), problems: {}, valid: true });
  });

  it("reads a preset, an interval and the bots flag", () => {
    const { selection: read, valid } = parse("range=7d&interval=hour&bots=1");
    expect(valid).toBe(true);
    expect(read).toEqual(selection({ preset: "7d", interval: "hour", intervalIsDefault: false, includeBots: true }));
  });

  it("defaults the interval to hourly for the last 24 hours", () => {
    expect(parse("range=24h").selection.interval).toBe("hour");
  });

  it("ignores unknown values", () => {
    const { selection: read, problems } = parse("range=forever&interval=minute&bots=yes");
    expect(read).toEqual(selection());
    expect(problems).toEqual({});
  });

  it("refuses hourly points for a long range, saying why, and falls back to the default", () => {
    const { selection: read, problems, valid } = parse("range=90d&interval=hour");
    expect(valid).toBe(true);
    expect(read.interval).toBe("day");
    expect(read.intervalIsDefault).toBe(true);
    expect(problems.interval).toContain(HOURLY_HINT);
  });

  it("ignores from/to unless the range is custom", () => {
    expect(parse("range=7d&from=2020-01-01&to=2020-01-02").selection).toMatchObject({ from: "", to: "" });
  });

  it("reads a custom range and picks its default interval", () => {
    const parsed = parse("range=custom&from=2025-01-01&to=2025-12-31");
    expect(parsed.valid).toBe(true);
    expect(parsed.selection).toMatchObject({ preset: "custom", from: "2025-01-01", to: "2025-12-31", interval: "week" });
  });

  it("keeps a bad custom range as typed and says what is wrong", () => {
    const reversed = parse("range=custom&from=2026-03-10&to=2026-03-01");
    expect(reversed.valid).toBe(false);
    expect(reversed.selection).toMatchObject({ from: "2026-03-10", to: "2026-03-01" });
    expect(reversed.problems.dates).toBe("The start date must be on or before the end date.");
    expect(parse("range=custom&from=2026-03-10").problems.dates).toBe("Choose a start date and an end date.");
    expect(parse("range=custom&from=2026-02-30&to=2026-03-01").problems.dates).toMatch(/real calendar dates/);
    expect(parse("range=custom&from=2020-01-01&to=2026-03-01").problems.dates).toMatch(/at most 1,098 days/);
    expect(parse("range=custom&from=0001-01-01&to=0001-02-01").problems.dates).toMatch(/between the years/);
  });

  it("round-trips a selection, leaving defaults out and other params alone", () => {
    const custom = selection({ preset: "custom", from: "2026-01-01", to: "2026-01-31", interval: "week", intervalIsDefault: false, includeBots: true });
    const params = rangeParams(custom, new URLSearchParams("page=2&bots=0"));
    expect(params.toString()).toBe("page=2&range=custom&from=2026-01-01&to=2026-01-31&interval=week&bots=1");
    expect(parse(params.toString()).selection).toEqual(custom);
    expect(rangeParams(selection()).toString()).toBe("");
  });
});

describe("changing the selection", () => {
  it("takes a preset's default interval", () => {
    const hourly = selection({ preset: "24h", interval: "hour", intervalIsDefault: false });
    expect(withPreset(hourly, "90d", TODAY)).toMatchObject({ preset: "90d", interval: "day", intervalIsDefault: true });
  });

  it("starts a custom range from the dates that were shown", () => {
    expect(withPreset(selection({ preset: "7d" }), "custom", TODAY)).toMatchObject({ preset: "custom", from: "2026-03-11", to: TODAY, interval: "day" });
    expect(withPreset(selection({ preset: "month" }), "custom", TODAY)).toMatchObject({ from: "2026-03-01", to: TODAY });
  });

  it("drops an hourly interval that a longer custom range no longer allows", () => {
    const hourly = selection({ preset: "custom", from: "2026-03-01", to: "2026-03-02", interval: "hour", intervalIsDefault: false });
    expect(withCustomDates(hourly, "2026-03-01", "2026-03-05", TODAY)).toMatchObject({ interval: "hour", intervalIsDefault: false });
    expect(withCustomDates(hourly, "2026-01-01", "2026-03-05", TODAY)).toMatchObject({ interval: "day", intervalIsDefault: true });
    expect(withCustomDates(hourly, "", "2026-03-05", TODAY)).toMatchObject({ from: "", interval: "hour" });
  });

  it("validates custom dates on their own", () => {
    expect(customRangeProblem("2026-03-01", "2026-03-01")).toBeUndefined();
    expect(customRangeProblem("2023-03-18", "2026-03-18")).toBeUndefined();
  });
});
