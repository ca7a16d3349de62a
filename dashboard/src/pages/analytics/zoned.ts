/**
 * Calendar dates and wall-clock times in a named IANA time zone, which need not be the browser's.
 *
 * Dates are plain "YYYY-MM-DD" strings: the analytics API reads them as whole local days, so no
 * instant (and no browser zone) should ever stand in for one.
 */

export type WallTime = { year: number; month: number; day: number; hour: number; minute: number; second: number };

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const wallFormats = new Map<string, Intl.DateTimeFormat>();

function wallFormat(timeZone: string): Intl.DateTimeFormat {
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallFormats.set(timeZone, format);
  }
  return format;
}

/** What a clock on the wall in `timeZone` shows at `instant`. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of wallFormat(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    // Some engines still say 24 for midnight despite h23.
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Minutes `timeZone` is ahead of UTC at `instant` (negative west of Greenwich). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const wall = wallTime(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const whole = Math.floor(instant.getTime() / 1000) * 1000;
  return Math.round((asUtc - whole) / 60_000);
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function dateString(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/**
 * `instant` as local wall time with the zone's offset, e.g. 2026-03-01T14:00:00+01:00.
 *
 * Why not plain UTC: the API reads any datetime whose time is 00:00:00 as a bare date (the whole
 * day in `tz`). Written in `tz` itself, a local midnight then means that day's start, which is the
 * very instant meant; a UTC midnight would not be.
 */
export function isoInZone(instant: Date, timeZone: string): string {
  const wall = wallTime(instant, timeZone);
  const offset = offsetMinutes(instant, timeZone);
  const sign = offset < 0 ? "-" : "+";
  const hours = Math.floor(Math.abs(offset) / 60);
  const minutes = Math.abs(offset) % 60;
  const date = dateString(wall.year, wall.month, wall.day);
  return `${date}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${sign}${pad(hours)}:${pad(minutes)}`;
}

/** The calendar date in `timeZone` at `instant`. */
export function dateInZone(instant: Date, timeZone: string): string {
  const wall = wallTime(instant, timeZone);
  return dateString(wall.year, wall.month, wall.day);
}

/** The start of the UTC hour holding `instant`. */
export function floorToHour(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);
}

export function addHours(instant: Date, hours: number): Date {
  return new Date(instant.getTime() + hours * HOUR_MS);
}

/** Milliseconds since the epoch at UTC midnight of a "YYYY-MM-DD" date; null when it is no real date. */
function dayNumber(date: string): number | null {
  const match = DATE_PATTERN.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const value = new Date(0);
  value.setUTCFullYear(year, month - 1, day);
  const real = value.getUTCFullYear() === year && value.getUTCMonth() === month - 1 && value.getUTCDate() === day;
  return real ? value.getTime() : null;
}

/** Whether `value` is a real calendar date written YYYY-MM-DD (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  return dayNumber(value) !== null;
}

/** `date` moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const start = dayNumber(date);
  if (start === null) throw new RangeError(`not a calendar date: ${date}`);
  const moved = new Date(start + days * DAY_MS);
  return dateString(moved.getUTCFullYear(), moved.getUTCMonth() + 1, moved.getUTCDate());
}

/** Days from `start` to `end`, both counted (a single day is 1). */
export function daysInclusive(start: string, end: string): number {
  const first = dayNumber(start);
  const last = dayNumber(end);
  if (first === null || last === null) throw new RangeError(`not calendar dates: ${start}, ${end}`);
  return Math.round((last - first) / DAY_MS) + 1;
}

/** The first day of `date`'s month. */
export function startOfMonth(date: string): string {
  return `${date.slice(0, 8)}01`;
}
