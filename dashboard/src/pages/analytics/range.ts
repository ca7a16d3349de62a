/**
 * The analytics range: presets, the interval, "include bots", their URL search params, and the
 * `from`/`to` the API is asked for.
 *
 * The URL is the single source of truth (a shared or reloaded link shows the same view). A preset
 * is kept as its name, not as dates, so "last 7 days" stays the last 7 days tomorrow; its dates are
 * worked out at fetch time, in the viewer's zone.
 */
import { addDays, addHours, dateInZone, daysInclusive, floorToHour, isCalendarDate, isoInZone, startOfMonth } from "./zoned";

export const PRESETS = ["24h", "7d", "30d", "90d", "month", "custom"] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  month: "This month",
  custom: "Custom range",
};

export const INTERVALS = ["hour", "day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_LABELS: Record<Interval, string> = { hour: "Hourly", day: "Daily", week: "Weekly", month: "Monthly" };

export const DEFAULT_PRESET: Preset = "30d";
/** Hourly points beyond this many days would be too many to read (the API allows more). */
export const MAX_HOURLY_DAYS = 31;
/** The API's limit (admin/analytics.py MAX_RANGE_DAYS). */
export const MAX_RANGE_DAYS = 3 * 366;
const EARLIEST_YEAR = 2;
const LATEST_YEAR = 9998;

const PRESET_DAYS: Record<Exclude<Preset, "month" | "custom">, number> = { "24h": 1, "7d": 7, "30d": 30, "90d": 90 };

export const HOURLY_HINT = `Hourly points are available for ranges of up to ${MAX_HOURLY_DAYS} days.`;

/** What the URL asks for, already checked. `from`/`to` are only meaningful for "custom". */
export type RangeSelection = {
  preset: Preset;
  from: string;
  to: string;
  /** The interval to ask for: the URL's, or the default for the range's length. */
  interval: Interval;
  /** True when the URL names no usable interval and `interval` is the default. */
  intervalIsDefault: boolean;
  includeBots: boolean;
};

export type RangeProblems = { dates?: string; interval?: string };

export type ParsedRange = { selection: RangeSelection; problems: RangeProblems; valid: boolean };

function isPreset(value: string | null): value is Preset {
  return PRESETS.includes(value as Preset);
}

export function isInterval(value: string | null): value is Interval {
  return INTERVALS.includes(value as Interval);
}

/** The interval a range of `days` reads best with: some dozens of points, rarely hundreds. */
export function defaultInterval(days: number): Interval {
  if (days <= 2) return "hour";
  if (days <= 92) return "day";
  if (days <= 366) return "week";
  return "month";
}

export function intervalAllowed(interval: Interval, days: number): boolean {
  return interval !== "hour" || days <= MAX_HOURLY_DAYS;
}

/** Why a custom range cannot be asked for, or undefined when it can. */
export function customRangeProblem(from: string, to: string): string | undefined {
  if (!from || !to) return "Choose a start date and an end date.";
  if (!isCalendarDate(from) || !isCalendarDate(to)) return "Dates must be real calendar dates (YYYY-MM-DD).";
  const years = [from, to].map((date) => Number(date.slice(0, 4)));
  if (years.some((year) => year < EARLIEST_YEAR || year > LATEST_YEAR)) return "Dates must lie between the years 0002 and 9998.";
  const days = daysInclusive(from, to);
  if (days < 1) return "The start date must be on or before the end date.";
  if (days > MAX_RANGE_DAYS) return `A range can span at most ${MAX_RANGE_DAYS.toLocaleString("en")} days.`;
  return undefined;
}

/** Calendar days the range covers (the current month so far for "this month"). */
export function rangeDays(preset: Preset, from: string, to: string, today: string): number {
  if (preset === "month") return daysInclusive(startOfMonth(today), today);
  if (preset === "custom") return isCalendarDate(from) && isCalendarDate(to) ? Math.max(1, daysInclusive(from, to)) : 1;
  return PRESET_DAYS[preset];
}

/**
 * The selection the search params ask for. Anything unreadable falls back to its default; an
 * unusable custom range or interval is reported in `problems` (the custom dates are kept as
 * typed, so the picker shows them and says what is wrong).
 */
export function parseRangeParams(params: URLSearchParams, today: string): ParsedRange {
  const presetParam = params.get("range");
  const preset = isPreset(presetParam) ? presetParam : DEFAULT_PRESET;
  const from = preset === "custom" ? (params.get("from") ?? "") : "";
  const to = preset === "custom" ? (params.get("to") ?? "") : "";
  const problems: RangeProblems = {};
  if (preset === "custom") {
    const problem = customRangeProblem(from, to);
    if (problem) problems.dates = problem;
  }
  const days = problems.dates ? 1 : rangeDays(preset, from, to, today);
  const asked = params.get("interval");
  let interval = defaultInterval(days);
  let intervalIsDefault = true;
  if (isInterval(asked)) {
    if (intervalAllowed(asked, days)) {
      interval = asked;
      intervalIsDefault = false;
    } else {
      problems.interval = `${HOURLY_HINT} Showing ${INTERVAL_LABELS[interval].toLowerCase()} points instead.`;
    }
  }
  const includeBots = params.get("bots") === "1";
  return { selection: { preset, from, to, interval, intervalIsDefault, includeBots }, problems, valid: !problems.dates };
}

/** The search params for `selection`, leaving out what is at its default (short, shareable URLs). */
export function rangeParams(selection: RangeSelection, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const key of ["range", "from", "to", "interval", "bots"]) params.delete(key);
  if (selection.preset !== DEFAULT_PRESET) params.set("range", selection.preset);
  if (selection.preset === "custom") {
    params.set("from", selection.from);
    params.set("to", selection.to);
  }
  if (!selection.intervalIsDefault) params.set("interval", selection.interval);
  if (selection.includeBots) params.set("bots", "1");
  return params;
}

/** The `from`/`to` to send: local dates for whole days, a datetime for the last 24 hours. */
export type ApiRange = { from: string; to?: string };

/**
 * The range a selection means at `now`, in `timeZone`.
 *
 * "Last 24 hours" is the current UTC hour and the 23 before it, left open at the end so the API
 * counts up to now (its default end); the day presets end today, included.
 */
export function resolveRange(selection: Pick<RangeSelection, "preset" | "from" | "to">, now: Date, timeZone: string): ApiRange {
  const today = dateInZone(now, timeZone);
  switch (selection.preset) {
    case "24h":
      return { from: isoInZone(addHours(floorToHour(now), -23), timeZone) };
    case "month":
      return { from: startOfMonth(today), to: today };
    case "custom":
      return { from: selection.from, to: selection.to };
    default:
      return { from: addDays(today, 1 - PRESET_DAYS[selection.preset]), to: today };
  }
}

/** The dates a preset covers today, to start a custom range from what was on screen. */
export function presetDates(preset: Preset, today: string): { from: string; to: string } {
  if (preset === "month") return { from: startOfMonth(today), to: today };
  if (preset === "custom" || preset === "24h") return { from: addDays(today, -1), to: today };
  return { from: addDays(today, 1 - PRESET_DAYS[preset]), to: today };
}

/** The selection after choosing another preset: its default interval, custom dates from what was shown. */
export function withPreset(selection: RangeSelection, preset: Preset, today: string): RangeSelection {
  const dates = preset === "custom" ? presetDates(selection.preset, today) : { from: "", to: "" };
  const keep = preset === "custom" && selection.preset === "custom";
  const from = keep ? selection.from : dates.from;
  const to = keep ? selection.to : dates.to;
  const days = preset === "custom" && customRangeProblem(from, to) ? 1 : rangeDays(preset, from, to, today);
  return { ...selection, preset, from, to, interval: defaultInterval(days), intervalIsDefault: true };
}

/** The selection after editing a custom date; an interval no longer allowed goes back to the default. */
export function withCustomDates(selection: RangeSelection, from: string, to: string, today: string): RangeSelection {
  const next = { ...selection, preset: "custom" as const, from, to };
  if (customRangeProblem(from, to)) return next;
  const days = rangeDays("custom", from, to, today);
  if (next.intervalIsDefault || !intervalAllowed(next.interval, days)) return { ...next, interval: defaultInterval(days), intervalIsDefault: true };
  return next;
}
