/**
 * Orphan visits (Shlink's name): requests the edge answered 404. What each kind means, how the
 * page asks for a range, and the series as the chart and its table show it.
 */
import type { components } from "../../api/schema";
import type { BadgeTone } from "../../components/Badge";
import { type Interval, type RangeSelection, resolveRange } from "../analytics/range";
import { bucketFormatters } from "../analytics/series";
import { formatShare, humanPercent, shareOf } from "../analytics/shares";

export type OrphanVisits = components["schemas"]["OrphanVisits"];
export type OrphanPath = components["schemas"]["OrphanPath"];
export type OrphanVisit = components["schemas"]["OrphanVisit"];
export type OrphanKind = OrphanPath["kind"];

/** Paths asked for: the table's rows (the API allows up to 100). */
export const TOP_PATHS = 25;

type KindInfo = { label: string; tone: BadgeTone; explanation: string };

export const ORPHAN_KINDS: readonly OrphanKind[] = ["base_url", "invalid_short_url", "regular_404"];

export const KIND_INFO: Record<OrphanKind, KindInfo> = {
  base_url: { label: "Base URL", tone: "info", explanation: "The bare short domain (/), with no code after it." },
  invalid_short_url: {
    label: "Invalid short URL",
    tone: "warning",
    explanation: "A code that does not redirect: unknown, deleted, disabled, expired or used up.",
  },
  regular_404: { label: "Regular 404", tone: "neutral", explanation: "Any other path, such as /wp-login.php or /a/b." },
};

/** Browser, OS and device in one line ("Mobile Safari · iOS · Mobile"), or null when none is known. */
export function clientText({ browser, os, device }: Pick<OrphanVisit, "browser" | "os" | "device">): string | null {
  const known = [browser, os, device && device.charAt(0).toUpperCase() + device.slice(1)].filter(Boolean);
  return known.length > 0 ? known.join(" · ") : null;
}

/** `part` of `total` as a percentage for a card: "12.5%", or "—" when there is nothing to divide. */
export function shareText(part: number, total: number, format?: Intl.NumberFormat): string {
  return total > 0 ? formatShare(shareOf(part, total), format) : "—";
}

/** Bots' share of all orphan visits in whole percent (never 0 or 100 when both are there), or null for none. */
export function botPercent(total: number, bots: number): number | null {
  const human = humanPercent(Math.max(0, total - bots), bots);
  return human === null ? null : 100 - human;
}

/** The part of a selection that changes what the API answers ("include bots" does not: bots are always in). */
export function orphanRangeKey(selection: RangeSelection, tz: string) {
  const { preset, from, to, interval } = selection;
  return { preset, from: preset === "custom" ? from : "", to: preset === "custom" ? to : "", interval, tz };
}

/** The query parameters for a range at `now`, in the viewer's zone `tz`. */
export function orphanQuery(selection: RangeSelection, tz: string, now: Date = new Date()) {
  const { from, to } = resolveRange(selection, now, tz);
  return { from, ...(to ? { to } : {}), tz, interval: selection.interval, top: TOP_PATHS };
}

export type OrphanPoint = { start: string; tick: string; label: string; visits: number };

/** Series rows as chart rows, labelled in the range's zone; `locale` undefined means the viewer's. */
export function orphanPoints(series: readonly { start: string; visits: number }[], interval: Interval, timeZone: string, locale?: string): OrphanPoint[] {
  const format = bucketFormatters(interval, timeZone, locale);
  return series.map((point) => ({ start: point.start, tick: format.tick(point.start), label: format.label(point.start), visits: point.visits }));
}

/** "12 orphan visits over 30 daily points. Busiest: Tue, 3 Mar 2026 with 9." for screen readers. */
export function orphanSummary(points: readonly OrphanPoint[], interval: Interval, formatNumber: (n: number) => string): string {
  const unit = { hour: "hourly", day: "daily", week: "weekly", month: "monthly" }[interval];
  let total = 0;
  let busiest: OrphanPoint | null = null;
  for (const point of points) {
    total += point.visits;
    if (point.visits > (busiest?.visits ?? 0)) busiest = point;
  }
  const what = total === 1 ? "orphan visit" : "orphan visits";
  const over = `${formatNumber(points.length)} ${unit} ${points.length === 1 ? "point" : "points"}`;
  const peak = busiest ? ` Busiest: ${busiest.label} with ${formatNumber(busiest.visits)}.` : "";
  return `${formatNumber(total)} ${what} over ${over}.${peak}`;
}
