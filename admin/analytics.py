"""Click analytics queries: totals, time series, breakdowns, recent clicks and CSV export.

Totals, series and breakdowns read rollups, never raw clicks, so their cost grows with quarter hours,
days and distinct values in the range, not with clicks or (for an account) with links:

- totals and series: click_rollups for a link, owner_click_rollups for an account, per UTC quarter hour;
- breakdowns and top links: the range as whole UTC weeks (click_dimension_weeks,
  owner_dimension_weeks), whole UTC days (click_dimension_days, owner_dimension_days, click_days)
  and quarter hours (click_dimension_rollups, owner_dimension_rollups, click_rollups), a long
  partial day read as its day less the rest of it; see ``signed_stretches``;
- unique visitors: the HyperLogLog sketches of the same daily and quarter-hour rows (click_days,
  owner_click_days, click_rollups, owner_click_rollups) and of an account's hours (owner_click_hours),
  unioned per range or series point, so a visitor counts once however many days or links they come
  back to (``visitor_counts``).

The worker writes all of them in one transaction (worker/apply.py), so they always agree. An
account's rows keep a deleted link's past clicks (migration 0012). Recent clicks and the CSV export
read the clicks table through its (link_id, clicked_at) index.

Every answer is exact in every time zone. Every UTC offset in use is a whole number of quarter
hours, so a range given in any zone, [from, to) with both bounds on a quarter hour, is a set of
whole rollup rows; and so is every local hour, day, week and month, across DST changes too (Lord
Howe's half hour, the Chatham Islands' +12:45/+13:45). A series is those local buckets, made here
with zoneinfo, each summing the whole rows it holds (and unioning their sketches).

A ``Scope`` says whose clicks: one link, or every link of one owner. Callers check ownership
(admin.links.get_owned_link) before building a link scope.

Clicks can be lost before the worker counts them (a click stream trimmed past its cursor, Redis
losing its data); ``stream_gaps`` says when, so that no answer is missing clicks silently.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from admin.links_csv import csv_text, escape_cell
from common.visitors import VisitorCount
from common.weeks import monday_from, monday_of

Interval = Literal["hour", "day", "week", "month"]
Dimension = Literal["country", "city", "referrer", "browser", "os", "device", "route"]
# The breakdowns of every scope. "route" (which rule or variant of a routed link a click took) is a
# link's only: the worker keeps no account rows of it, since each link names its own routes.
DIMENSIONS: Final[tuple[Dimension, ...]] = ("referrer", "country", "city", "browser", "os", "device")
DEFAULT_ROUTE: Final = ""  # a click that went to the link's own target
DEFAULT_DAYS: Final = 30
QUARTER_HOUR: Final = timedelta(minutes=15)
HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)
MAX_RANGE_DAYS: Final = 3 * 366
MAX_SERIES_POINTS: Final = 10_000  # e.g. hourly over a year is 8,784
# Ranges stay a year inside Python's calendar (years 1-9999), so that no time zone, default start
# or hour/week/month bucket can step outside it (OverflowError, once a 500).
EARLIEST: Final = datetime(2, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 1, 1, tzinfo=UTC)
EXPORT_BATCH: Final = 1_000
EXPORT_COLUMNS: Final = (
    "clicked_at",
    "country",
    "city",
    "referrer",
    "referrer_host",
    "browser",
    "os",
    "device",
    "is_bot",
    "ip",
    "ip_prefix",
    "visitor_hash",
    "user_agent",
    "route",
)


class InvalidRange(ValueError):
    """The time zone, range or interval asked for cannot be answered."""

    error_code = "invalid_range"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose clicks: ``link_id`` for one link, else every link of ``owner_id``."""

    link_id: int | None = None
    owner_id: int | None = None

    def source(self, link_table: str, owner_table: str) -> tuple[str, str, int]:
        """Which of two tables holds the scope's rows (per link, or per owner), a SQL condition on
        ``$1`` picking them, and its value."""
        if self.link_id is not None:
            return link_table, "link_id = $1", self.link_id
        if self.owner_id is not None:
            return owner_table, "owner_id = $1", self.owner_id
        raise ValueError("a scope needs a link or an owner")

    @property
    def subject(self) -> Subjects:
        """The scope's rows of the visitor sketches: per link, or per owner."""
        if self.link_id is not None:
            return Subjects.links([self.link_id])
        if self.owner_id is not None:
            return Subjects.owners([self.owner_id])
        raise ValueError("a scope needs a link or an owner")


@dataclass(frozen=True, slots=True)
class Subjects:
    """Links or owners whose visitors are counted: the column naming them, the tables holding their
    quarter-hour, daily and (for owners, 0024) hourly sketches, and their ids."""

    column: str
    quarters: str
    days: str
    ids: list[int]
    hours: str | None = None

    @classmethod
    def links(cls, ids: list[int]) -> Subjects:
        return cls("link_id", "click_rollups", "click_days", ids)

    @classmethod
    def owners(cls, ids: list[int]) -> Subjects:
        return cls("owner_id", "owner_click_rollups", "owner_click_days", ids, hours="owner_click_hours")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """[start, end) in UTC, both on a quarter hour (the rollups' grain), and the zone to show it in."""

    start: datetime
    end: datetime
    tz: ZoneInfo

    @property
    def tz_name(self) -> str:
        return self.tz.key


def zone(name: str) -> ZoneInfo:
    """Raises InvalidRange for an unknown IANA time zone name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRange(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None


def resolve_range(
    *, start: date | datetime | None, end: date | datetime | None, tz: str = "UTC", now: datetime | None = None
) -> TimeRange:
    """The exact range [start, end) given in ``tz``, in UTC.

    Dates are whole local days, ``end`` included: 2026-03-01..2026-03-31 is all of March in ``tz``.
    A datetime ``end`` is excluded; datetimes without an offset are local to ``tz``. Either bound
    must fall on a UTC quarter hour, and is used as it is. The default is the 30 days up to now,
    rounded up to the quarter hour.

    Raises:
        InvalidRange: unknown zone, a bound off the quarter hour, start not before end, longer than
            MAX_RANGE_DAYS, or outside EARLIEST..LATEST.
    """
    zone_info = zone(tz)
    start_utc, end_utc = _bounds(start, end, zone_info, now or datetime.now(UTC))
    if start_utc >= end_utc:
        raise InvalidRange("from must be before to")
    if end_utc - start_utc > timedelta(days=MAX_RANGE_DAYS):
        raise InvalidRange(f"a range spans at most {MAX_RANGE_DAYS} days")
    return TimeRange(start=start_utc, end=end_utc, tz=zone_info)


def _bounds(
    start: date | datetime | None, end: date | datetime | None, tz: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The given bounds in UTC, each checked to lie on a quarter hour, or the defaults."""
    # Up, not down: a default end rounded down would leave out the last minutes' clicks.
    if end is None:
        end_utc = _ceil(now, QUARTER_HOUR)
    else:
        end_utc = _on_quarter_hour("to", _instant(end, tz, end_of_day=True))
    if start is not None:
        return _on_quarter_hour("from", _instant(start, tz)), end_utc
    if end_utc - EARLIEST < timedelta(days=DEFAULT_DAYS):
        raise InvalidRange(f"to must be after {EARLIEST.date().isoformat()}")
    return end_utc - timedelta(days=DEFAULT_DAYS), end_utc


def _on_quarter_hour(name: str, value: datetime) -> datetime:
    """``value`` (UTC) if it lies on a quarter hour, else InvalidRange naming the bound.

    Every UTC offset in use is a whole number of quarter hours, so a local quarter hour is one in
    UTC too; a finer bound would split a rollup row, and could not be answered exactly.
    """
    if value.minute % 15 or value.second or value.microsecond:
        raise InvalidRange(
            f"{name} must fall on a quarter hour in UTC (minute 0, 15, 30 or 45, no seconds): "
            f"{value.isoformat()} does not"
        )
    return value


# An instant on every UTC quarter hour, hour and midnight: steps are counted from it.
_STEPS_ORIGIN: Final = datetime(2000, 1, 1, tzinfo=UTC)


def _floor(instant: datetime, step: timedelta) -> datetime:
    """The last UTC quarter hour, hour or midnight (``step``) at or before ``instant`` (a UTC datetime)."""
    return instant - (instant - _STEPS_ORIGIN) % step


def _ceil(instant: datetime, step: timedelta) -> datetime:
    """The first UTC quarter hour, hour or midnight (``step``) at or after ``instant``."""
    floor = _floor(instant, step)
    return floor if floor == instant else floor + step


def _instant(value: date | datetime, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """``value`` in UTC; raises InvalidRange outside EARLIEST..LATEST (checked before any arithmetic)."""
    naive = value.replace(tzinfo=None) if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    if not EARLIEST.replace(tzinfo=None) <= naive < LATEST.replace(tzinfo=None):
        raise InvalidRange(f"dates must lie between {EARLIEST.date().isoformat()} and {LATEST.date().isoformat()}")
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    day = value + timedelta(days=1) if end_of_day else value
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _bots(include_bots: bool, column: str = "is_bot") -> str:
    return "" if include_bots else f" AND NOT {column}"


def _counts(param: str, prefix: str = "") -> str:
    """SQL sums over rollup rows: ``clicks`` as asked (humans only unless ``param``, a boolean
    parameter, includes bots) and always ``human_clicks`` and ``bot_clicks`` apart."""
    clicks, bot = f"{prefix}clicks", f"{prefix}is_bot"
    return (
        f"coalesce(sum({clicks}) FILTER (WHERE {param} OR NOT {bot}), 0) AS clicks, "
        f"coalesce(sum({clicks}) FILTER (WHERE NOT {bot}), 0) AS human_clicks, "
        f"coalesce(sum({clicks}) FILTER (WHERE {bot}), 0) AS bot_clicks"
    )


def _split(row: Any) -> dict[str, int]:
    return {key: int(row[key]) for key in ("clicks", "human_clicks", "bot_clicks")}


async def totals(pool: asyncpg.Pool, scope: Scope, rng: TimeRange, *, include_bots: bool) -> dict[str, int]:
    """Clicks and unique visitors in the range; human and bot clicks always apart, and their sum.

    ``clicks`` and ``visitors`` count humans only unless ``include_bots``; ``total_clicks`` is
    ``human_clicks + bot_clicks`` whatever ``include_bots`` says, which over a range covering all
    of a link's clicks equals its ``click_count``. ``visitors`` are distinct over the range (see
    ``visitor_counts``).
    """
    table, condition, subject = scope.source("click_rollups", "owner_click_rollups")
    row = await pool.fetchrow(
        f"""SELECT {_counts("$4")}
            FROM {table} WHERE {condition} AND bucket >= $2 AND bucket < $3""",
        subject,
        rng.start,
        rng.end,
        include_bots,
    )
    assert row is not None, "an aggregate without GROUP BY returns one row"
    counts = _split(row)
    [visitors] = await visitor_counts(pool, scope.subject, [(rng.start, rng.end)], include_bots=include_bots)
    return counts | {"visitors": visitors[0], "total_clicks": counts["human_clicks"] + counts["bot_clicks"]}


async def time_series(
    pool: asyncpg.Pool, scope: Scope, rng: TimeRange, *, interval: Interval, include_bots: bool
) -> list[dict[str, Any]]:
    """One point per local bucket of the range (see ``local_buckets``), empty buckets included.

    ``start`` labels a point with its bucket's first instant in local time, ISO 8601 with the
    offset: 2026-11-01T01:00:00-04:00 then 2026-11-01T01:00:00-05:00 for New York's repeated hour.
    The first bucket may begin before the range; it counts only what the range holds. Each point
    has the counts of ``totals`` but ``total_clicks``: its ``visitors`` are distinct within the
    point, so the points' visitors add up to more than the range's when a visitor comes back.

    Raises InvalidRange when there would be more than MAX_SERIES_POINTS points.
    """
    starts = local_buckets(rng, interval)
    table, condition, subject = scope.source("click_rollups", "owner_click_rollups")
    # Postgres only sorts whole quarter-hour rows into the buckets made here (width_bucket: the
    # number of the last start at or before the row), so the points and their counts cannot
    # disagree, even where Postgres's time zone database is not the one zoneinfo reads.
    rows = await pool.fetch(
        f"""SELECT width_bucket(bucket, $5::timestamptz[]) AS point, {_counts("$4")}
            FROM {table} WHERE {condition} AND bucket >= $2 AND bucket < $3
            GROUP BY 1""",
        subject,
        rng.start,
        rng.end,
        include_bots,
        starts,
    )
    found = {row["point"]: _split(row) for row in rows}
    ends = [*starts[1:], rng.end]
    pieces = [(max(start, rng.start), end) for start, end in zip(starts, ends, strict=True)]
    [visitors] = await visitor_counts(pool, scope.subject, pieces, include_bots=include_bots)
    zero = {"clicks": 0, "human_clicks": 0, "bot_clicks": 0}
    return [
        {"start": start.astimezone(rng.tz).isoformat(), **found.get(number, zero), "visitors": visitors[number - 1]}
        for number, start in enumerate(starts, start=1)
    ]


def local_buckets(rng: TimeRange, interval: Interval) -> list[datetime]:
    """The first instants (UTC) of the local hours, days, weeks (from Monday) or months the range
    touches, in order; the first may lie before ``rng.start``.

    A local hour is a wall-clock hour at one UTC offset: across a DST change the repeated hour is
    two buckets and the skipped one none, so a day has 23 or 25 of them (Lord Howe's half-hour
    change gives a half hour). Each bucket starts on a UTC quarter hour, like the rollup rows.

    Raises InvalidRange past MAX_SERIES_POINTS buckets.
    """
    every_start = _hour_starts(rng) if interval == "hour" else _calendar_starts(rng, interval)
    starts: list[datetime] = []
    start = next(every_start)
    while start < rng.end:
        if len(starts) == MAX_SERIES_POINTS:
            raise InvalidRange("too many points: choose a larger interval")
        starts.append(start)
        start = next(every_start)
    return starts


def _hour_starts(rng: TimeRange) -> Iterator[datetime]:
    start = rng.start
    key = _local_hour(start, rng.tz)
    while _local_hour(start - QUARTER_HOUR, rng.tz) == key:  # back to the first quarter of its hour
        start -= QUARTER_HOUR
    while True:
        yield start
        start = _next_hour_start(start, rng.tz)


def _local_hour(instant: datetime, tz: ZoneInfo) -> tuple[datetime, timedelta | None]:
    """The local hour holding ``instant``: the wall-clock hour, and the UTC offset that tells a
    repeated hour's two passes apart."""
    local = instant.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0, tzinfo=None), local.utcoffset()


def _next_hour_start(start: datetime, tz: ZoneInfo) -> datetime:
    local = start.astimezone(tz)
    following = start + timedelta(minutes=60 - local.minute)
    # The next :00 on the wall clock, unless the offset changes before it (once an hour at most,
    # on a quarter hour): then the next hour starts at the change.
    if (following - QUARTER_HOUR).astimezone(tz).utcoffset() == local.utcoffset():
        return following
    key = _local_hour(start, tz)
    following = start + QUARTER_HOUR
    while _local_hour(following, tz) == key:
        following += QUARTER_HOUR
    return following


def _calendar_starts(rng: TimeRange, interval: Interval) -> Iterator[datetime]:
    day = rng.start.astimezone(rng.tz).date()
    if interval == "week":
        day = monday_of(day)
    elif interval == "month":
        day = day.replace(day=1)
    previous: datetime | None = None
    while True:
        # fold=0: a midnight that happens twice is the first; one a DST change skips is read with
        # the offset before the change, which is the instant the day begins.
        start = datetime(day.year, day.month, day.day, tzinfo=rng.tz).astimezone(UTC)
        if start != previous:  # a local date a zone skipped whole (Samoa's 2011-12-30) has no bucket
            yield start
        previous = start
        if interval == "day":
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(days=7)
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class DaySplit:
    """A range as whole UTC days [first_day, end_day) and the quarter hours outside them: the head
    [rng.start, head_end) and the tail [tail_start, rng.end), each inside one partial day. The whole
    days hold whole UTC weeks (``weeks``), which breakdowns read from weekly rows.

    Both bounds of a range lie on UTC quarter hours, so the head and tail are whole quarter-hour
    rows and the days whole daily rows: a breakdown summing the three is exact in every zone.
    """

    first_day: date
    end_day: date
    head_end: datetime
    tail_start: datetime

    @property
    def weeks(self) -> tuple[date, date]:
        """The whole UTC weeks (Monday to Monday) among the whole days, [first, end), both
        ``end_day`` if there is none: the days are then [first_day, first) and [end, end_day)."""
        first = monday_from(self.first_day)
        end = monday_of(self.end_day)
        return (first, end) if first < end else (self.end_day, self.end_day)

    @classmethod
    def of(cls, rng: TimeRange) -> DaySplit:
        return cls.between(rng.start, rng.end)

    @classmethod
    def between(cls, start: datetime, end: datetime) -> DaySplit:
        """The split of [start, end), both UTC datetimes on a quarter hour."""
        first_midnight = _ceil(start, DAY)
        last_midnight = _floor(end, DAY)
        if first_midnight >= last_midnight:  # no whole UTC day inside: all of it is quarter hours
            return cls(first_midnight.date(), first_midnight.date(), end, end)
        return cls(first_midnight.date(), last_midnight.date(), first_midnight, last_midnight)


Grain = Literal["week", "day", "quarter"]
Bound = TypeVar("Bound", date, datetime)
# Past these, a partial day is read as its whole day less the rest of it, and a run of days beside
# the whole weeks as its week less the other days: fewer rows either way.
HALF_DAY: Final = timedelta(hours=12)
HALF_WEEK_DAYS: Final = 3


@dataclass(frozen=True, slots=True)
class Stretch:
    """The rows of one grain in [first, stop) (weeks and days as dates, quarter hours as UTC
    datetimes), counted with ``sign``: -1 takes back what a week or day holds outside a range."""

    grain: Grain
    first: date | datetime
    stop: date | datetime
    sign: int = 1


def signed_stretches(rng: TimeRange) -> list[Stretch]:
    """The range as whole rows of clicks, with as few rows as the grains allow: whole UTC weeks,
    whole UTC days and quarter hours, some of them taken back. A partial day longer than HALF_DAY
    is its day less its other quarter hours (Kolkata's 18:30-24:00 head is 22 quarter hours, its
    00:00-18:30 tail the day less 22 more); a run of more than HALF_WEEK_DAYS days of one week
    (beside the whole weeks, or all of a short range) is their week less its other days.

    Sums of clicks over the stretches, signs applied, are exact: every row lies wholly inside or
    outside the range. Visitor sketches cannot be taken back, so visitors read ``DaySplit``'s parts.
    """
    split = DaySplit.of(rng)
    if split.first_day >= split.end_day:  # no whole UTC day inside: it is quarter hours
        return [Stretch("quarter", rng.start, rng.end)]
    parts = [*_partial_day(rng.start, split.head_end), *_partial_day(split.tail_start, rng.end)]
    first_week, end_week = split.weeks
    if first_week >= end_week:  # no whole week: days of one week, or of two that meet at a Monday
        monday = max(split.first_day, monday_of(split.end_day))
        return [*parts, *_days_of_a_week(split.first_day, monday), *_days_of_a_week(monday, split.end_day)]
    beside = [*_days_of_a_week(split.first_day, first_week), *_days_of_a_week(end_week, split.end_day)]
    return [*parts, Stretch("week", first_week, end_week), *beside]


def _partial_day(first: datetime, stop: datetime) -> list[Stretch]:
    """[first, stop), quarter hours of one UTC day (``stop`` at most its end)."""
    if first >= stop:
        return []
    if stop - first <= HALF_DAY:
        return [Stretch("quarter", first, stop)]
    start_of_day = _floor(first, DAY)
    end_of_day = start_of_day + timedelta(days=1)
    return _less(
        Stretch("day", start_of_day.date(), end_of_day.date()), "quarter", start_of_day, first, stop, end_of_day
    )


def _days_of_a_week(first: date, stop: date) -> list[Stretch]:
    """[first, stop), days of one UTC week (Monday to Monday)."""
    if first >= stop:
        return []
    if (stop - first).days <= HALF_WEEK_DAYS:
        return [Stretch("day", first, stop)]
    monday = monday_of(first)
    following = monday + timedelta(days=7)
    return _less(Stretch("week", monday, following), "day", monday, first, stop, following)


def _less(whole: Stretch, grain: Grain, start: Bound, first: Bound, stop: Bound, end: Bound) -> list[Stretch]:
    """``whole``, [start, end), less its ``grain`` rows outside [first, stop)."""
    outside: list[Stretch] = [Stretch(grain, a, b, -1) for a, b in ((start, first), (stop, end)) if a < b]
    return [whole, *outside]


async def visitor_counts(
    pool: asyncpg.Pool, subjects: Subjects, pieces: list[tuple[datetime, datetime]], *, include_bots: bool
) -> list[list[int]]:
    """Distinct visitors of each subject (link or owner) in each piece of time: ``result[subject][piece]``.
    The pieces follow each other, [start, end) on quarter hours. Humans only unless ``include_bots``.

    A visitor is one IP address and user agent, counted once however often and on however many days
    they come back (and, for an owner, whichever of the owner's links they open). Each piece unions
    the sketches (common/visitors.py) of the whole UTC days inside it and of the quarter hours at its
    edges (see ``DaySplit``), an owner's whole UTC hours among those read from hourly rows: exact up
    to a few hundred visitors, within about 1.6 % past that.
    """
    stretches = _stretches(pieces, hours=subjects.hours is not None)
    sketches = [
        _sketches_in_stretches(subjects.quarters, subjects.column, "bucket", "$2::timestamptz[], $3::timestamptz[]"),
        _sketches_in_stretches(subjects.days, subjects.column, "day", "$4::date[], $5::date[]"),
    ]
    bounds: list[object] = [*_columns(stretches.quarters), *_columns(stretches.days)]
    if subjects.hours is not None:
        sketches.append(
            _sketches_in_stretches(subjects.hours, subjects.column, "hour", "$7::timestamptz[], $8::timestamptz[]")
        )
        bounds += _columns(stretches.hours)
    # $1 the subjects, $2-$5 the quarter hours' and days' bounds, $6 include_bots, $7-$8 the hours'.
    rows = await pool.fetch(" UNION ALL ".join(sketches), subjects.ids, *bounds[:4], include_bots, *bounds[4:])
    # A row's first instant lies in the piece holding it: the pieces are made of whole rows.
    starts = [start for start, _ in pieces]
    counts: dict[tuple[int, int], VisitorCount] = {}  # only where there are sketches: each costs ~10 µs
    for subject, instant, sketch in rows:
        key = (subject, bisect_right(starts, instant) - 1)
        count = counts.get(key)
        if count is None:
            count = counts[key] = VisitorCount()
        count.add(sketch)
    return [
        [counts[(subject, number)].estimate if (subject, number) in counts else 0 for number in range(len(pieces))]
        for subject in subjects.ids
    ]


@dataclass(slots=True)
class _SketchStretches:
    """The stretches of rows, each [first, stop), whose sketches make up some pieces of time."""

    quarters: list[tuple[datetime, datetime]] = field(default_factory=list)
    hours: list[tuple[datetime, datetime]] = field(default_factory=list)
    days: list[tuple[date, date]] = field(default_factory=list)


def _stretches(pieces: list[tuple[datetime, datetime]], *, hours: bool) -> _SketchStretches:
    """The stretches of whole UTC days, quarter hours and (with ``hours``) whole UTC hours that
    ``pieces`` are made of (see ``DaySplit``): each piece apart, so no row lies in two; stretches
    of a grain that follow each other joined into one, the fewer to scan."""
    found = _SketchStretches()
    for start, end in pieces:
        split = DaySplit.between(start, end)
        if split.first_day < split.end_day:
            found.days.append((split.first_day, split.end_day))
        for first, stop in ((start, split.head_end), (split.tail_start, end)):
            first_hour, end_hour = _ceil(first, HOUR), _floor(stop, HOUR)
            if not hours or first_hour >= end_hour:
                _join(found.quarters, first, stop)
                continue
            _join(found.quarters, first, first_hour)
            _join(found.hours, first_hour, end_hour)
            _join(found.quarters, end_hour, stop)
    return found


def _join(stretches: list[tuple[datetime, datetime]], first: datetime, stop: datetime) -> None:
    """Add [first, stop), if not empty, to ``stretches``: to the last one if it ends at ``first``."""
    if first >= stop:
        return
    if stretches and stretches[-1][1] == first:
        first = stretches.pop()[0]
    stretches.append((first, stop))


def _columns(stretches: list[tuple[Bound, Bound]]) -> list[list[Bound]]:
    """``stretches`` as two arrays, their firsts and their stops."""
    return [[first for first, _ in stretches], [stop for _, stop in stretches]]


def _sketches_in_stretches(table: str, column: str, period: str, bounds: str) -> str:
    """SQL: the visitor sketches of ``table``'s rows of each subject ($1, in ``column``) in each
    stretch of ``period`` whose bounds are the arrays ``bounds``, with the instant each row starts
    at; humans only unless $6.

    One index range scan of the (subject, period) primary key per subject and stretch: OFFSET 0
    keeps each LATERAL subquery apart, else Postgres flattens it into a join and may read all of a
    subject's rows, a year of them, to keep a day's.
    """
    instant = "p.day::timestamp AT TIME ZONE 'UTC'" if period == "day" else f"p.{period}"
    return f"""SELECT s.id, {instant}, p.visitor_sketch
        FROM unnest($1::bigint[]) AS s(id)
        CROSS JOIN unnest({bounds}) AS r(first, stop)
        CROSS JOIN LATERAL (
            SELECT {period}, visitor_sketch FROM {table}
            WHERE {column} = s.id AND {period} >= r.first AND {period} < r.stop
              AND ($6 OR NOT is_bot) AND visitor_sketch IS NOT NULL
            OFFSET 0
        ) AS p"""


async def top_values(
    pool: asyncpg.Pool,
    scope: Scope,
    rng: TimeRange,
    dimension: Dimension,
    *,
    include_bots: bool,
    limit: int | None = 10,
) -> list[dict[str, Any]]:
    """The most clicked values of one dimension (by ``clicks``, so bot-only values only with
    ``include_bots``; every value when ``limit`` is None), with human and bot clicks apart; ""
    (unknown, or no referrer) comes back as None."""
    quarters, condition, subject = scope.source("click_dimension_rollups", "owner_dimension_rollups")
    days, _, _ = scope.source("click_dimension_days", "owner_dimension_days")
    weeks, _, _ = scope.source("click_dimension_weeks", "owner_dimension_weeks")
    tables: dict[Grain, str] = {"week": weeks, "day": days, "quarter": quarters}
    stretches = signed_stretches(rng)
    parts, bounds = _signed_rows(stretches, tables, f"{condition} AND dimension = $2", "value, is_bot", 5)
    rows = await pool.fetch(
        f"""SELECT value, {_counts("$4")} FROM ({parts}) AS rows
            GROUP BY value HAVING sum(clicks) FILTER (WHERE $4 OR NOT is_bot) > 0
            ORDER BY clicks DESC, value LIMIT $3""",
        subject,
        dimension,
        limit,
        include_bots,
        *bounds,
    )
    if dimension == "city":
        result = []
        for row in rows:
            country, _, city = row["value"].partition("|")
            result.append({"city": city or None, "country": country or None, **_split(row)})
        return result
    return [{"value": row["value"] or None, **_split(row)} for row in rows]


PERIODS: Final[dict[Grain, str]] = {"week": "week", "day": "day", "quarter": "bucket"}


def _signed_rows(
    stretches: list[Stretch], tables: dict[Grain, str], condition: str, columns: str, first: int
) -> tuple[str, list[date | datetime]]:
    """SQL: ``columns`` and the signed ``clicks`` of the rows of each stretch, read from its grain's
    table where ``condition`` holds; and the parameters it takes from ``$first`` on.

    One branch per stretch, each a range of an index: the planner sees each one's bounds (a bitmap
    scan for a month of a thousand links' days, where an unnest of bounds got a plain index scan).
    The statement's text depends only on the stretches' grains and signs, a few shapes in all.
    """
    branches = []
    for number, stretch in enumerate(stretches):
        period, low = PERIODS[stretch.grain], first + 2 * number
        branches.append(
            f"SELECT {columns}, {stretch.sign} * clicks AS clicks FROM {tables[stretch.grain]} "
            f"WHERE {condition} AND {period} >= ${low} AND {period} < ${low + 1}"
        )
    return " UNION ALL ".join(branches), [bound for stretch in stretches for bound in (stretch.first, stretch.stop)]


async def breakdowns(
    pool: asyncpg.Pool, scope: Scope, rng: TimeRange, *, include_bots: bool, limit: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """Every dimension's ``top_values``, asked for at once: each query on a connection of its own, so
    Postgres runs them side by side (the city breakdown, with thousands of values a day, dominates)."""
    answers = await asyncio.gather(
        *(top_values(pool, scope, rng, dimension, include_bots=include_bots, limit=limit) for dimension in DIMENSIONS)
    )
    return dict(zip(DIMENSIONS, answers, strict=True))


async def route_values(pool: asyncpg.Pool, link_id: int, rng: TimeRange) -> list[dict[str, Any]]:
    """Every route the link's clicks took in the range (``rule:{name}``, ``variant:{name}``), bots
    included, human and bot clicks apart: what ``route_breakdown`` needs."""
    rows = await top_values(pool, Scope(link_id=link_id), rng, "route", include_bots=True, limit=None)
    return [row for row in rows if row["value"]]


def route_breakdown(
    routes: list[dict[str, Any]], totals: dict[str, int], *, include_bots: bool, limit: int
) -> list[dict[str, Any]]:
    """The link's most clicked routes, by ``clicks`` as ``top_values`` counts them, with the link's own
    target as the route "" (``DEFAULT_ROUTE``).

    The worker keeps no rows for the own target (nearly every link has no routing, and would fill the
    dimension tables with them), so its clicks are what the routes leave of the range's ``totals``:
    also the clicks of the time before the link had rules or variants, which went there too.
    ``routes`` is ``route_values`` of the same range.
    """
    default = {
        "value": DEFAULT_ROUTE,
        # Never below 0: the totals and the routes are read by two queries, and a worker commit may
        # land between them.
        "human_clicks": max(0, totals["human_clicks"] - sum(row["human_clicks"] for row in routes)),
        "bot_clicks": max(0, totals["bot_clicks"] - sum(row["bot_clicks"] for row in routes)),
    }
    counted = [
        row | {"clicks": row["human_clicks"] + (row["bot_clicks"] if include_bots else 0)} for row in [*routes, default]
    ]
    counted.sort(key=lambda row: (-row["clicks"], row["value"]))
    return [row for row in counted if row["clicks"] > 0][:limit]


async def top_links(
    pool: asyncpg.Pool, owner_id: int, rng: TimeRange, *, include_bots: bool, limit: int = 10
) -> list[dict[str, Any]]:
    """The owner's most clicked links in the range (by ``clicks``), with human and bot clicks apart,
    distinct ``visitors`` and each link's all-time ``click_count``."""
    # The per-link rows carry their owner (0014, 0023): one index range scan per stretch, whatever
    # the number of links. The join keeps links the owner still has.
    tables: dict[Grain, str] = {"week": "click_weeks", "day": "click_days", "quarter": "click_rollups"}
    parts, bounds = _signed_rows(signed_stretches(rng), tables, "owner_id = $1", "link_id, is_bot", 4)
    rows = await pool.fetch(
        f"""SELECT l.id, l.code, l.domain, l.title, l.target_url, l.click_count, r.clicks, r.human_clicks,
                   r.bot_clicks
            FROM (
                SELECT link_id, {_counts("$3")} FROM ({parts}) AS parts
                GROUP BY link_id HAVING sum(clicks) FILTER (WHERE $3 OR NOT is_bot) > 0
            ) AS r JOIN links l ON l.id = r.link_id AND l.owner_id = $1
            ORDER BY r.clicks DESC, l.code LIMIT $2""",
        owner_id,
        limit,
        include_bots,
        *bounds,
    )
    ids = [row["id"] for row in rows]
    links = Subjects.links(ids)
    visitors = await visitor_counts(pool, links, [(rng.start, rng.end)], include_bots=include_bots)
    return [
        {key: row[key] for key in ("code", "domain", "title", "target_url", "click_count")}
        | _split(row)
        | {"visitors": counts[0]}
        for row, counts in zip(rows, visitors, strict=True)
    ]


# The longest HOP_CLICK_FLUSH_INTERVAL (common/settings.py, le=5): a click enters the stream at most
# this long after its redirect, so clicks of an entry added just after a range's end may lie inside it.
FLUSH_SLACK: Final = timedelta(seconds=5)


async def stream_gaps(pool: asyncpg.Pool, rng: TimeRange) -> list[dict[str, Any]]:
    """The recorded click stream gaps (worker/gaps.py) that may hold clicks of the range, oldest
    first: clicks may be missing between each one's ``start`` and ``end``.

    Each gap is ``start`` (UTC: the time in the ID of the last stream entry applied before it, None
    when the worker had applied nothing yet on that shard, so the start is unknown), ``end`` (the
    time in the ID of the first entry applied after it), ``lost_entries`` (None when Redis lost its
    data and the count with it) and ``detected_at``. A stream entry is one edge flush, a batch of one
    or more clicks, so ``lost_entries`` counts batches, not clicks. A click enters the stream within
    the edge's flush interval of its redirect (longer only if the edge held it while Redis was
    unreachable), so a gap whose span, [start, end], overlaps [rng.start, rng.end + FLUSH_SLACK)
    may have taken clicks of the range. The streams are shared by every link and owner, so every
    scope gets the same gaps.

    The times come from Redis's clock (stream IDs), detected_at from Postgres's: the query matches
    on the IDs, not on detected_at's index, so clocks that disagree cannot hide a gap. The table
    holds one row per gap found (per worker transaction at most), small enough to scan.
    """
    # A stream ID is "<unix ms>-<seq>"; "0-0" is the cursor of a shard that has applied nothing
    # (worker/gaps.py START_ID).
    rows = await pool.fetch(
        """SELECT start, "end", lost_entries, detected_at FROM (
               SELECT id, lost_entries, detected_at,
                      CASE WHEN after_id <> '0-0'
                           THEN timestamptz 'epoch' + split_part(after_id, '-', 1)::bigint * interval '1 ms' END
                          AS start,
                      timestamptz 'epoch' + split_part(resumed_at, '-', 1)::bigint * interval '1 ms' AS "end"
               FROM click_stream_gaps
           ) AS gaps
           WHERE "end" >= $1 AND (start IS NULL OR start < $2)
           ORDER BY "end", id""",
        rng.start,
        rng.end + FLUSH_SLACK,
    )
    return [dict(row) for row in rows]


async def recent_clicks(
    pool: asyncpg.Pool, link_id: int, *, include_bots: bool, limit: int = 50
) -> list[dict[str, Any]]:
    """The link's latest clicks, newest first."""
    rows = await pool.fetch(
        f"""SELECT clicked_at, country, city, browser, os, device, referrer_host, is_bot, route
            FROM clicks WHERE link_id = $1{_bots(include_bots)}
            ORDER BY clicked_at DESC LIMIT $2""",
        link_id,
        limit,
    )
    return [empty_as_none(row) for row in rows]


def empty_as_none(row: asyncpg.Record) -> dict[str, Any]:
    """A raw row for the API: the empty strings the click tables store for "unknown" as None."""
    return {key: (value if value != "" else None) for key, value in row.items()}


async def export_clicks(pool: asyncpg.Pool, link_id: int, rng: TimeRange) -> AsyncIterator[str]:
    """Raw clicks of a link in the range as CSV, header first, from a server-side cursor.

    Referrers and user agents are visitor-controlled: cells that a spreadsheet would run as a
    formula are escaped.
    """
    yield csv_text([list(EXPORT_COLUMNS)])
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        batch: list[list[str]] = []
        async for row in conn.cursor(
            """SELECT clicked_at, country, city, referrer, referrer_host, browser, os, device, is_bot,
                      coalesce(host(ip), '') AS ip, coalesce(ip_prefix::text, '') AS ip_prefix,
                      encode(visitor_hash, 'hex') AS visitor_hash, user_agent, route
               FROM clicks WHERE link_id = $1 AND clicked_at >= $2 AND clicked_at < $3
               ORDER BY clicked_at, stream_id, position""",
            link_id,
            rng.start,
            rng.end,
            prefetch=EXPORT_BATCH,
        ):
            batch.append([_cell(row[column]) for column in EXPORT_COLUMNS])
            if len(batch) >= EXPORT_BATCH:
                yield csv_text(batch)
                batch = []
        if batch:
            yield csv_text(batch)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return escape_cell(str(value))
