import { describe, expect, it } from "vitest";
import { addDays, dateInZone, daysInclusive, floorToHour, isCalendarDate, isoInZone, offsetMinutes, startOfMonth } from "./zoned";

describe("zoned", () => {
  it("writes an instant as wall time with the zone's offset, DST included", () => {
    const winter = new Date("2026-01-15T13:00:00Z");
    const summer = new Date("2026-07-15T13:00:00Z");
    expect(isoInZone(winter, "Europe/Berlin")).toBe("2026-01-15T14:00:00+01:00");
    expect(isoInZone(summer, "Europe/Berlin")).toBe("2026-07-15T15:00:00+02:00");
    expect(isoInZone(winter, "America/New_York")).toBe("2026-01-15T08:00:00-05:00");
    expect(isoInZone(winter, "Asia/Kolkata")).toBe("2026-01-15T18:30:00+05:30");
    expect(isoInZone(winter, "UTC")).toBe("2026-01-15T13:00:00+00:00");
  });

  it("gives the offset across a DST change", () => {
    expect(offsetMinutes(new Date("2026-03-29T00:59:00Z"), "Europe/Berlin")).toBe(60);
    expect(offsetMinutes(new Date("2026-03-29T01:00:00Z"), "Europe/Berlin")).toBe(120);
    expect(offsetMinutes(new Date("2026-01-01T00:00:00Z"), "Asia/Kathmandu")).toBe(345);
  });

  it("says midnight as 00, not 24", () => {
    expect(isoInZone(new Date("2026-01-14T23:00:00Z"), "Europe/Berlin")).toBe("2026-01-15T00:00:00+01:00");
  });

  it("finds today's date in the zone, not in the browser's", () => {
    const instant = new Date("2026-03-01T02:00:00Z");
    expect(dateInZone(instant, "Europe/Berlin")).toBe("2026-03-01");
    expect(dateInZone(instant, "America/Los_Angeles")).toBe("2026-02-28");
    expect(dateInZone(instant, "Pacific/Kiritimati")).toBe("2026-03-01");
  });

  it("does calendar arithmetic on plain dates", () => {
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(daysInclusive("2026-03-01", "2026-03-31")).toBe(31);
    expect(daysInclusive("2026-03-01", "2026-03-01")).toBe(1);
    expect(daysInclusive("2026-03-02", "2026-03-01")).toBe(0);
    // Across Europe's spring DST change: still whole days, whatever the browser's zone.
    expect(daysInclusive("2026-03-28", "2026-03-30")).toBe(3);
    expect(startOfMonth("2026-03-17")).toBe("2026-03-01");
  });

  it("knows real calendar dates from look-alikes", () => {
    expect(isCalendarDate("2024-02-29")).toBe(true);
    expect(isCalendarDate("2026-02-29")).toBe(false);
    expect(isCalendarDate("2026-13-01")).toBe(false);
    expect(isCalendarDate("2026-3-1")).toBe(false);
    expect(isCalendarDate("")).toBe(false);
    expect(isCalendarDate("0002-01-01")).toBe(true);
    expect(() => addDays("nope", 1)).toThrow(RangeError);
  });

  it("floors an instant to its UTC hour", () => {
    expect(floorToHour(new Date("2026-03-01T10:59:59.999Z")).toISOString()).toBe("2026-03-01T10:00:00.000Z");
  });
});
