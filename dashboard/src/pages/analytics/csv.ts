/**
 * CSV for what the dashboard draws (the series, a breakdown), built in the browser: RFC 4180
 * quoting, CRLF lines, and text cells that a spreadsheet would run as a formula made inert.
 */
import type { ShareRow } from "./shares";

export type Cell = string | number | boolean | null | undefined;

export type SeriesRow = { start: string; clicks: number; human_clicks: number; bot_clicks: number; visitors: number };

// Referrers and such are visitor-controlled: "=HYPERLINK(...)" must stay text in Excel and friends.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** The time series: one line per bucket, its start as the API gave it (ISO 8601 with the zone's offset). */
export function seriesToCsv(series: readonly SeriesRow[]): string {
  return toCsv(
    ["start", "clicks", "human_clicks", "bot_clicks", "visitors"],
    series.map((point) => [point.start, point.clicks, point.human_clicks, point.bot_clicks, point.visitors]),
  );
}

/** A breakdown as shown: label, clicks and share (0..1, four decimals), "Other" included. */
export function breakdownToCsv(dimension: string, rows: readonly ShareRow[]): string {
  return toCsv(
    [dimension, "clicks", "share"],
    rows.map((row) => [row.label, row.clicks, Number(row.share.toFixed(4))]),
  );
}

/** A file name part that is safe everywhere: "2026-03-01" stays, "last 24 hours" becomes "last-24-hours". */
export function fileSlug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "range";
}
