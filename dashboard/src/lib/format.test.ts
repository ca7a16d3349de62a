import { describe, expect, it } from "vitest";
import { formatDateTime, formatDateTimeIn, formatTimeIn, fromLocalInput, toLocalInput } from "./format";

describe("format", () => {
  it("round-trips a datetime-local value through an ISO instant", () => {
    const iso = fromLocalInput("2026-12-24T18:30");
    expect(iso).not.toBeNull();
    expect(toLocalInput(iso)).toBe("2026-12-24T18:30");
  });

  it("reads empty and invalid inputs as no instant", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("not a date")).toBeNull();
    expect(toLocalInput(null)).toBe("");
  });

  it("shows a dash for a missing date", () => {
    expect(formatDateTime(null)).toBe("—");
  });

  it("formats an instant in a named zone, not the browser's", () => {
    expect(formatDateTimeIn("2026-11-03T13:02:00Z", "Europe/Berlin", "en-GB")).toBe("3 Nov 2026, 14:02");
    expect(formatDateTimeIn("2026-11-03T13:02:00Z", "Asia/Kathmandu", "en-GB")).toBe("3 Nov 2026, 18:47");
    expect(formatTimeIn("2026-11-03T13:02:00Z", "America/New_York", "en-GB")).toBe("08:02");
  });
});
