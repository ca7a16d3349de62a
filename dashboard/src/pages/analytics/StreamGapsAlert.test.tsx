import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { StreamGap } from "./gaps";
import { MAX_LISTED_GAPS, StreamGapsAlert } from "./StreamGapsAlert";

const gapAt = (minute: number, lost: number | null = 2): StreamGap => ({
  start: `2026-11-03T13:${String(minute).padStart(2, "0")}:00Z`,
  end: `2026-11-03T13:${String(minute + 1).padStart(2, "0")}:00Z`,
  lost_entries: lost,
  detected_at: "2026-11-03T14:00:00Z",
});

afterEach(cleanup);

describe("StreamGapsAlert", () => {
  it("shows nothing when no gap touches the range", () => {
    const { container } = render(<StreamGapsAlert gaps={[]} timeZone="UTC" />);
    expect(container.childElementCount).toBe(0);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("announces a single gap as one sentence", () => {
    render(<StreamGapsAlert gaps={[gapAt(2, null)]} timeZone="UTC" />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toMatch(/^Clicks may be missing between .+: Redis lost its data before they were counted; how many is unknown\.$/);
    expect(within(alert).queryByRole("list")).toBeNull();
  });

  it("lists several gaps, and sums up those past the first few", () => {
    const gaps = Array.from({ length: MAX_LISTED_GAPS + 2 }, (_, minute) => gapAt(minute * 2));
    render(<StreamGapsAlert gaps={gaps} timeZone="UTC" />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain(`at ${MAX_LISTED_GAPS + 2} times in this range`);
    const items = within(alert).getAllByRole("listitem");
    expect(items).toHaveLength(MAX_LISTED_GAPS + 1);
    expect(items[0]?.textContent).toMatch(/^Between .+: 2 batches of clicks left Redis before they were counted\.$/);
    expect(items.at(-1)?.textContent).toMatch(/^And 2 more, the last ending .+\.$/);
  });
});
