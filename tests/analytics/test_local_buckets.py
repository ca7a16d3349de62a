"""Series buckets are local hours, days, weeks and months, made with zoneinfo (issue 17).

The labels across DST changes (New York's 25- and 23-hour days, Lord Howe's half-hour change, the
Chatham Islands' +13:45/+12:45), and the counts that the real worker's quarter-hour rows put in
them, also in zones whose hours start at :30 or :45 UTC.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from admin import analytics
from admin.analytics import MAX_SERIES_POINTS, Interval, InvalidRange, Scope, TimeRange
from common.settings import Settings
from common.stores import Stores
from tests.analytics.seed import apply_clicks
from tests.helpers import add_link

MS = timedelta(milliseconds=1)
QUARTER = timedelta(minutes=15)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hour_labels(day: date, zone: str) -> list[str]:
    """The labels of the local hours of one local day, as the API gives them."""
    rng = analytics.resolve_range(start=day, end=day, tz=zone)
    return [start.astimezone(rng.tz).isoformat() for start in analytics.local_buckets(rng, "hour")]


def wall(day: str, hours: range | tuple[int, ...], offset: str) -> list[str]:
    """Labels of whole local hours of ``day`` at ``offset``."""
    return [f"{day}T{hour:02d}:00:00{offset}" for hour in hours]


def test_new_york_fall_back_day_has_25_hours_and_the_repeated_hour_twice_told_apart_by_its_offset() -> None:
    # 2026-11-01 02:00 EDT back to 01:00 EST: 01:00-02:00 happens twice.
    assert hour_labels(date(2026, 11, 1), "America/New_York") == [
        *wall("2026-11-01", (0, 1), "-04:00"),
        *wall("2026-11-01", range(1, 24), "-05:00"),
    ]


def test_new_york_spring_forward_day_has_23_hours_and_no_2_am() -> None:
    # 2026-03-08 02:00 EST on to 03:00 EDT: 02:00-03:00 never happens.
    assert hour_labels(date(2026, 3, 8), "America/New_York") == [
        *wall("2026-03-08", (0, 1), "-05:00"),
        *wall("2026-03-08", range(3, 24), "-04:00"),
    ]


def test_lord_howe_half_hour_dst_changes() -> None:
    # 2026-04-05 02:00 +11:00 back to 01:30 +10:30: the half hour 01:30-02:00 happens twice, and its
    # second pass is a bucket of its own, labelled where it starts.
    assert hour_labels(date(2026, 4, 5), "Australia/Lord_Howe") == [
        *wall("2026-04-05", (0, 1), "+11:00"),
        "2026-04-05T01:30:00+10:30",
        *wall("2026-04-05", range(2, 24), "+10:30"),
    ]
    # 2026-10-04 02:00 +10:30 on to 02:30 +11:00: the hour from 02:00 has half an hour.
    assert hour_labels(date(2026, 10, 4), "Australia/Lord_Howe") == [
        *wall("2026-10-04", (0, 1), "+10:30"),
        "2026-10-04T02:30:00+11:00",
        *wall("2026-10-04", range(3, 24), "+11:00"),
    ]


def test_chatham_hours_start_at_quarter_past_utc_and_its_dst_change_repeats_an_hour() -> None:
    # 2026-04-05 03:45 +13:45 back to 02:45 +12:45: 02:45-03:45 happens twice.
    labels = hour_labels(date(2026, 4, 5), "Pacific/Chatham")
    assert labels == [
        *wall("2026-04-05", range(4), "+13:45"),
        "2026-04-05T02:45:00+12:45",
        *wall("2026-04-05", range(3, 24), "+12:45"),
    ]
    rng = analytics.resolve_range(start=date(2026, 4, 5), end=date(2026, 4, 5), tz="Pacific/Chatham")
    starts = analytics.local_buckets(rng, "hour")
    assert (starts[0], starts[-1]) == (utc(2026, 4, 4, 10, 15), utc(2026, 4, 5, 10, 15))


@pytest.mark.parametrize(
    ("zone", "first_utc"),
    [
        ("Asia/Kolkata", utc(2026, 2, 28, 18, 30)),
        ("Asia/Kathmandu", utc(2026, 2, 28, 18, 15)),
        ("America/St_Johns", utc(2026, 3, 1, 3, 30)),
    ],
)
def test_local_hours_and_days_of_zones_off_the_utc_hour(zone: str, first_utc: datetime) -> None:
    rng = analytics.resolve_range(start=date(2026, 3, 1), end=date(2026, 3, 2), tz=zone)
    assert (rng.start, rng.end) == (first_utc, first_utc + timedelta(days=2))
    hours = analytics.local_buckets(rng, "hour")
    assert hours == [first_utc + timedelta(hours=n) for n in range(48)]
    assert analytics.local_buckets(rng, "day") == [first_utc, first_utc + timedelta(days=1)]


ZONES = ("Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham")
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")


def local_keys(instant: datetime, tz: ZoneInfo) -> dict[Interval, object]:
    """What puts ``instant`` in its bucket, per interval: the oracle for ``local_buckets``."""
    local = instant.astimezone(tz)
    day = local.date()
    return {
        "hour": (day, local.hour, local.utcoffset()),  # the offset tells a repeated hour's passes apart
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": (day.year, day.month),
    }


@pytest.mark.parametrize("zone", ZONES)
def test_each_quarter_hour_of_a_year_lies_in_the_local_bucket_of_its_own_local_time(zone: str) -> None:
    """Over all of 2026, for every interval: buckets start on quarter hours, in order, each quarter
    hour lies in the bucket of its own local hour (with offset), date, week or month, and a bucket
    starts exactly where that changes."""
    tz = ZoneInfo(zone)
    rng = TimeRange(start=utc(2025, 12, 31, 9), end=utc(2027, 1, 1, 15), tz=tz)
    quarters = [rng.start + n * QUARTER for n in range((rng.end - rng.start) // QUARTER)]
    keys = {quarter: local_keys(quarter, tz) for quarter in quarters}
    for interval in INTERVALS:
        starts = analytics.local_buckets(rng, interval)
        assert starts == sorted(set(starts))
        assert all(start.minute % 15 == 0 and start.second == start.microsecond == 0 for start in starts)
        assert starts[0] <= rng.start < starts[1]
        first_key = local_keys(starts[0], tz)[interval]
        for quarter in quarters:
            index = bisect_right(starts, quarter) - 1
            start_key = keys[starts[index]][interval] if index else first_key
            assert keys[quarter][interval] == start_key, (interval, quarter)
        for start in starts[1:]:
            assert keys[start - QUARTER][interval] != keys[start][interval], (interval, start)


def test_a_range_starting_inside_a_bucket_labels_it_by_its_first_instant() -> None:
    rng = analytics.resolve_range(start=datetime(2026, 3, 1, 14, 45), end=datetime(2026, 3, 1, 16), tz="Asia/Kolkata")
    labels = [start.astimezone(rng.tz).isoformat() for start in analytics.local_buckets(rng, "hour")]
    assert labels == ["2026-03-01T14:00:00+05:30", "2026-03-01T15:00:00+05:30"]


def test_too_many_points_is_an_invalid_range() -> None:
    rng = TimeRange(
        start=utc(2026, 1, 1), end=utc(2026, 1, 1) + timedelta(hours=MAX_SERIES_POINTS + 1), tz=ZoneInfo("UTC")
    )
    with pytest.raises(InvalidRange, match="too many points"):
        analytics.local_buckets(rng, "hour")
    assert len(analytics.local_buckets(rng, "day")) == MAX_SERIES_POINTS // 24 + 1


async def test_new_york_fall_back_series_counts_each_pass_of_the_repeated_hour(
    stores: Stores, settings: Settings
) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="fallback")
    await apply_clicks(
        stores,
        settings,
        "fallback",
        [
            utc(2026, 11, 1, 5, 20),  # 01:20 EDT
            utc(2026, 11, 1, 6) - MS,  # 01:59:59.999 EDT
            utc(2026, 11, 1, 6),  # 01:00 EST
            utc(2026, 11, 1, 6, 45),  # 01:45 EST
            utc(2026, 11, 1, 7, 30),  # 02:30 EST
        ],
    )
    rng = analytics.resolve_range(start=date(2026, 11, 1), end=date(2026, 11, 1), tz="America/New_York")
    scope = Scope(link_id=link.id)
    series = await analytics.time_series(stores.pool, scope, rng, interval="hour", include_bots=False)
    assert len(series) == 25
    assert [(point["start"], point["clicks"]) for point in series[1:4]] == [
        ("2026-11-01T01:00:00-04:00", 2),
        ("2026-11-01T01:00:00-05:00", 2),
        ("2026-11-01T02:00:00-05:00", 1),
    ]
    assert sum(point["clicks"] for point in series) == 5


async def test_spring_forward_series_has_23_hours_holding_every_click(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="spring23")
    await apply_clicks(
        stores, settings, "spring23", [utc(2026, 3, 8, 7) - MS, utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 59)]
    )
    rng = analytics.resolve_range(start=date(2026, 3, 8), end=date(2026, 3, 8), tz="America/New_York")
    series = await analytics.time_series(stores.pool, Scope(link_id=link.id), rng, interval="hour", include_bots=False)
    assert len(series) == 23
    assert [(point["start"], point["clicks"]) for point in series[1:3]] == [
        ("2026-03-08T01:00:00-05:00", 1),
        ("2026-03-08T03:00:00-04:00", 2),
    ]


async def test_kolkata_days_and_hours_split_at_half_past_utc(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="kolkata")
    # Local midnight of 2026-03-02 is 2026-03-01 18:30 UTC: an hourly row would have put all three
    # clicks in one local day and one local hour.
    await apply_clicks(
        stores, settings, "kolkata", [utc(2026, 3, 1, 18, 5), utc(2026, 3, 1, 18, 30) - MS, utc(2026, 3, 1, 18, 30)]
    )
    scope = Scope(link_id=link.id)
    days = analytics.resolve_range(start=date(2026, 3, 1), end=date(2026, 3, 2), tz="Asia/Kolkata")
    series = await analytics.time_series(stores.pool, scope, days, interval="day", include_bots=False)
    assert [(point["start"], point["clicks"]) for point in series] == [
        ("2026-03-01T00:00:00+05:30", 2),
        ("2026-03-02T00:00:00+05:30", 1),
    ]
    hours = await analytics.time_series(stores.pool, scope, days, interval="hour", include_bots=False)
    assert [(point["start"], point["clicks"]) for point in hours if point["clicks"]] == [
        ("2026-03-01T23:00:00+05:30", 2),
        ("2026-03-02T00:00:00+05:30", 1),
    ]
    # Exact bounds: the range from the local midnight holds the one click at or after it.
    second_day = analytics.resolve_range(start=date(2026, 3, 2), end=date(2026, 3, 2), tz="Asia/Kolkata")
    assert (await analytics.totals(stores.pool, scope, second_day, include_bots=False))["clicks"] == 1
