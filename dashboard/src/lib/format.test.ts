import { describe, expect, it } from "vitest";
import { formatDateTime, fromLocalInput, toLocalInput } from "./format";

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
});
