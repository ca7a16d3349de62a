/**
 * Breakdown rows (top referrers, countries, ...) as labelled counts with their share of all
 * clicks in the range, plus an "Other" row for what the top N leaves out.
 */

export type Counted = { clicks: number; human_clicks: number; bot_clicks: number };

export type ShareRow = {
  key: string;
  label: string;
  clicks: number;
  humanClicks: number;
  botClicks: number;
  /** clicks / total, 0..1 (0 when there are no clicks at all). */
  share: number;
  /** True for the remainder row, which no single value stands behind. */
  other?: boolean;
};

/** `part` of `total` as 0..1, safe for an empty range and for counts that overshoot. */
export function shareOf(part: number, total: number): number {
  if (total <= 0 || part <= 0) return 0;
  return Math.min(1, part / total);
}

/** Two values can read alike (city "|" and "", both unknown): each row still needs a key of its own. */
function uniqueKey(described: { key: string; label: string }, seen: Map<string, number>) {
  const times = seen.get(described.key) ?? 0;
  seen.set(described.key, times + 1);
  return times === 0 ? described : { ...described, key: `${described.key}#${times}` };
}

/**
 * Rows with shares of `total` (the range's `clicks`, counted like the rows are), and a final
 * "Other" row for the clicks the listed rows do not cover, when there are any.
 */
export function shareRows<T extends Counted>(rows: readonly T[], total: number, describe: (row: T) => { key: string; label: string }): ShareRow[] {
  const seen = new Map<string, number>();
  const listed = rows.map((row) => ({
    ...uniqueKey(describe(row), seen),
    clicks: row.clicks,
    humanClicks: row.human_clicks,
    botClicks: row.bot_clicks,
    share: shareOf(row.clicks, total),
  }));
  const covered = rows.reduce((sum, row) => sum + row.clicks, 0);
  const rest = total - covered;
  if (rows.length === 0 || rest <= 0) return listed;
  return [...listed, { key: "\u0000other", label: "Other", clicks: rest, humanClicks: 0, botClicks: 0, share: shareOf(rest, total), other: true }];
}

const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const percentEn = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });

/** A share as a percentage: "12.3%"; a share too small to show as 0.1% still says it is not nothing. */
export function formatShare(share: number, format: Intl.NumberFormat = percent): string {
  if (share > 0 && share < 0.001) return `<${format.format(0.001)}`;
  return format.format(share);
}

/** formatShare in English, for tests and for the CSV (which must not depend on the viewer's locale). */
export function formatShareEn(share: number): string {
  return formatShare(share, percentEn);
}

/**
 * The percentage of humans among human + bot clicks, whole, or null when there are none. Never
 * rounds to 0 or 100 while both kinds are there: "100% human" beside one bot click would be wrong.
 */
export function humanPercent(humanClicks: number, botClicks: number): number | null {
  const total = humanClicks + botClicks;
  if (total <= 0) return null;
  const rounded = Math.round((humanClicks / total) * 100);
  if (humanClicks > 0 && botClicks > 0) return Math.min(99, Math.max(1, rounded));
  return rounded;
}
