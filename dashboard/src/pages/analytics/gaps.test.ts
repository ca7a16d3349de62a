import { describe, expect, it } from "vitest";
import { type StreamGap, gapCause, gapListItem, gapMessage, gapSpan } from "./gaps";

const BERLIN = "Europe/Berlin";
const gap = (start: string | null, end: string, lost: number | null): StreamGap => ({
  start,
  end,
  lost_entries: lost,
  detected_at: "2026-11-03T13:06:00Z",
});

describe("stream gaps in words", () => {
  it("says when, in the page's zone, and how many batches were lost", () => {
    const known = gap("2026-11-03T13:02:07.123Z", "2026-11-03T13:05:00Z", 12);
    expect(gapMessage(known, BERLIN, "en-GB")).toBe(
      "Clicks may be missing between 3 Nov 2026, 14:02 and 14:05: 12 batches of clicks left Redis before they were counted.",
    );
    expect(gapSpan(known, "UTC", "en-GB")).toBe("between 3 Nov 2026, 13:02 and 13:05");
  });

  it("says so when Redis lost the count", () => {
    expect(gapMessage(gap("2026-11-03T13:02:00Z", "2026-11-03T13:05:00Z", null), BERLIN, "en-GB")).toBe(
      "Clicks may be missing between 3 Nov 2026, 14:02 and 14:05: Redis lost its data before they were counted; how many is unknown.",
    );
  });

  it("gives the end's date when the gap crosses a local midnight", () => {
    expect(gapSpan(gap("2026-11-03T22:50:00Z", "2026-11-03T23:10:00Z", 2), BERLIN, "en-GB")).toBe(
      "between 3 Nov 2026, 23:50 and 4 Nov 2026, 00:10",
    );
  });

  it("reads a gap without a start as before its end, and one within a minute as around it", () => {
    expect(gapSpan(gap(null, "2026-11-03T13:05:00Z", 3), BERLIN, "en-GB")).toBe("before 3 Nov 2026, 14:05");
    expect(gapSpan(gap("2026-11-03T13:05:01Z", "2026-11-03T13:05:40Z", 3), BERLIN, "en-GB")).toBe("around 3 Nov 2026, 14:05");
  });

  it("counts one batch in the singular and many with the viewer's digits", () => {
    expect(gapCause(gap(null, "2026-11-03T13:05:00Z", 1))).toBe("1 batch of clicks left Redis before it was counted.");
    expect(gapCause(gap(null, "2026-11-03T13:05:00Z", 12_345))).toBe(
      `${new Intl.NumberFormat().format(12_345)} batches of clicks left Redis before they were counted.`,
    );
  });

  it("starts a list item with a capital", () => {
    expect(gapListItem(gap(null, "2026-11-03T13:05:00Z", 3), BERLIN, "en-GB")).toBe(
      "Before 3 Nov 2026, 14:05: 3 batches of clicks left Redis before they were counted.",
    );
  });
});
