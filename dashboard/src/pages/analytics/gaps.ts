/**
 * Click stream gaps in words: when clicks may be missing from an analytics answer, and why.
 *
 * A gap is click stream entries that left Redis before the worker counted them (the stream hit its
 * length cap while the worker lagged, or Redis lost its data). Each entry is a batch of one or more
 * clicks, so a count is of batches, not clicks; without one, Redis lost the count too.
 */
import type { components } from "../../api/schema";
import { formatDateTimeIn, formatNumber, formatTimeIn } from "../../lib/format";
import { dateInZone } from "./zoned";

export type StreamGap = components["schemas"]["StreamGap"];

/**
 * When a gap's clicks may be missing, in `timeZone`: "between 3 Nov 2026, 14:02 and 14:05" (the
 * end's date only when it differs), "around …" when both ends read the same, "before …" when the
 * start is unknown (nothing had been counted yet).
 */
export function gapSpan(gap: StreamGap, timeZone: string, locale?: string): string {
  const end = formatDateTimeIn(gap.end, timeZone, locale);
  if (!gap.start) return `before ${end}`;
  const start = formatDateTimeIn(gap.start, timeZone, locale);
  if (start === end) return `around ${start}`;
  const sameDay = dateInZone(new Date(gap.start), timeZone) === dateInZone(new Date(gap.end), timeZone);
  return `between ${start} and ${sameDay ? formatTimeIn(gap.end, timeZone, locale) : end}`;
}

/** What the gap took: "12 batches of clicks left Redis before they were counted." */
export function gapCause(gap: StreamGap): string {
  const lost = gap.lost_entries;
  if (lost === null) return "Redis lost its data before they were counted; how many is unknown.";
  if (lost === 1) return "1 batch of clicks left Redis before it was counted.";
  return `${formatNumber(lost)} batches of clicks left Redis before they were counted.`;
}

/** One gap as a sentence: "Clicks may be missing between …: 12 batches of clicks left Redis before they were counted." */
export function gapMessage(gap: StreamGap, timeZone: string, locale?: string): string {
  return `Clicks may be missing ${gapSpan(gap, timeZone, locale)}: ${gapCause(gap)}`;
}

/** One gap of several, as a list item: "Between …: …". */
export function gapListItem(gap: StreamGap, timeZone: string, locale?: string): string {
  const span = gapSpan(gap, timeZone, locale);
  return `${span.charAt(0).toUpperCase()}${span.slice(1)}: ${gapCause(gap)}`;
}
