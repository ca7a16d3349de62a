/**
 * The clicks-over-time series as the chart and its table show it: labels for each bucket in the
 * range's time zone, and a one-sentence summary for screen readers.
 */
import type { Interval } from "./range";
import type { SeriesRow } from "./csv";

export type ChartPoint = { start: string; tick: string; label: string; human: number; bot: number; clicks: number; visitors: number };

type Formats = { tick: Intl.DateTimeFormatOptions; label: Intl.DateTimeFormatOptions };

const FORMATS: Record<Interval, Formats> = {
  hour: {
    tick: { hour: "2-digit", minute: "2-digit" },
    label: { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" },
  },
  day: { tick: { day: "numeric", month: "short" }, label: { weekday: "short", day: "numeric", month: "short", year: "numeric" } },
  week: { tick: { day: "numeric", month: "short" }, label: { day: "numeric", month: "short", year: "numeric" } },
  month: { tick: { month: "short", year: "numeric" }, label: { month: "long", year: "numeric" } },
};

/** Formatters for one interval and zone; `locale` undefined means the viewer's. */
export function bucketFormatters(interval: Interval, timeZone: string, locale?: string) {
  const tick = new Intl.DateTimeFormat(locale, { ...FORMATS[interval].tick, timeZone });
  const label = new Intl.DateTimeFormat(locale, { ...FORMATS[interval].label, timeZone });
  return {
    tick: (start: string) => tick.format(new Date(start)),
    label: (start: string) => (interval === "week" ? `Week of ${label.format(new Date(start))}` : label.format(new Date(start))),
  };
}

/** Series points as chart rows. `human`/`bot` stack to all clicks; `clicks` is what the range counts. */
export function chartPoints(series: readonly SeriesRow[], interval: Interval, timeZone: string, locale?: string): ChartPoint[] {
  const format = bucketFormatters(interval, timeZone, locale);
  return series.map((point) => ({
    start: point.start,
    tick: format.tick(point.start),
    label: format.label(point.start),
    human: point.human_clicks,
    bot: point.bot_clicks,
    clicks: point.clicks,
    visitors: point.visitors,
  }));
}

/** The busiest bucket (first of equals), or null when nothing was clicked. */
export function peak(points: readonly ChartPoint[], includeBots: boolean): ChartPoint | null {
  let best: ChartPoint | null = null;
  for (const point of points) {
    const value = includeBots ? point.human + point.bot : point.human;
    const bestValue = best ? (includeBots ? best.human + best.bot : best.human) : 0;
    if (value > bestValue) best = point;
  }
  return best;
}

/** "120 clicks over 30 daily points; busiest: Tue 3 Mar 2026 with 14." */
export function seriesSummary(points: readonly ChartPoint[], interval: Interval, includeBots: boolean, formatNumber: (n: number) => string): string {
  const total = points.reduce((sum, point) => sum + (includeBots ? point.human + point.bot : point.human), 0);
  const what = includeBots ? "clicks (humans and bots)" : "human clicks";
  const unit = { hour: "hourly", day: "daily", week: "weekly", month: "monthly" }[interval];
  const top = peak(points, includeBots);
  const busiest = top ? ` Busiest: ${top.label} with ${formatNumber(includeBots ? top.human + top.bot : top.human)}.` : "";
  return `${formatNumber(total)} ${what} over ${formatNumber(points.length)} ${unit} points.${busiest}`;
}
