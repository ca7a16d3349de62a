"""Analytics queries against rollups written by the real worker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from admin import analytics
from admin.analytics import InvalidRange, Scope
from common.settings import Settings
from common.stores import Stores
from tests.analytics.seed import GOOGLEBOT, IPHONE, apply_clicks
from tests.helpers import add_link

NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_daily_series_follows_the_local_calendar_across_fall_back(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="dst")
    # New York leaves daylight time at 2026-11-01 02:00 local (06:00 UTC): that day has 25 hours.
    await apply_clicks(
        stores,
        settings,
        "dst",
        [
            utc(2026, 11, 1, 3, 30),  # Oct 31, 23:30 EDT
            utc(2026, 11, 1, 4, 30),  # Nov 1, 00:30 EDT
            utc(2026, 11, 2, 4, 30),  # Nov 1, 23:30 EST (a fixed -4 offset would call this Nov 2)
            utc(2026, 11, 2, 5, 30),  # Nov 2, 00:30 EST
        ],
    )
    rng = analytics.resolve_range(start=date(2026, 10, 31), end=date(2026, 11, 2), tz=NEW_YORK)
    assert (rng.start, rng.end) == (utc(2026, 10, 31, 4), utc(2026, 11, 3, 5))
    series = await analytics.time_series(stores.pool, Scope(link_id=link.id), rng, interval="day", include_bots=False)
    assert [(p["start"], p["clicks"]) for p in series] == [
        ("2026-10-31T00:00:00-04:00", 1),
        ("2026-11-01T00:00:00-04:00", 2),
        ("2026-11-02T00:00:00-05:00", 1),
    ]
    hours = await analytics.time_series(
        stores.pool,
        Scope(link_id=link.id),
        analytics.resolve_range(start=date(2026, 11, 1), end=date(2026, 11, 1), tz=NEW_YORK),
        interval="hour",
        include_bots=False,
    )
    assert len(hours) == 25
    assert [p["start"] for p in hours[1:3]] == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    assert sum(p["clicks"] for p in hours) == 2


async def test_spring_forward_day_has_23_hours_and_weeks_and_months(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="spring")
    # 2026-03-08 02:00 EST jumps to 03:00 EDT.
    await apply_clicks(stores, settings, "spring", [utc(2026, 3, 8, 5), utc(2026, 3, 9, 3, 59), utc(2026, 3, 31, 12)])
    scope = Scope(link_id=link.id)
    day = analytics.resolve_range(start=date(2026, 3, 8), end=date(2026, 3, 8), tz=NEW_YORK)
    assert day.end - day.start == timedelta(hours=23)
    series = await analytics.time_series(stores.pool, scope, day, interval="day", include_bots=False)
    # Two clicks on two UTC days by one visitor: one visitor of the local day.
    assert series == [
        {"start": "2026-03-08T00:00:00-05:00", "clicks": 2, "human_clicks": 2, "bot_clicks": 0, "visitors": 1}
    ]
    month = analytics.resolve_range(start=date(2026, 3, 1), end=date(2026, 4, 30), tz=NEW_YORK)
    months = await analytics.time_series(stores.pool, scope, month, interval="month", include_bots=False)
    assert [(p["start"], p["clicks"]) for p in months] == [
        ("2026-03-01T00:00:00-05:00", 3),
        ("2026-04-01T00:00:00-04:00", 0),
    ]
    weeks = await analytics.time_series(stores.pool, scope, month, interval="week", include_bots=False)
    assert weeks[0]["start"] == "2026-02-23T00:00:00-05:00"  # the Monday of the week holding March 1
    assert sum(p["clicks"] for p in weeks) == 3


async def test_totals_visitors_breakdowns_and_bots(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="tot")
    at = utc(2026, 5, 5, 10)
    await apply_clicks(stores, settings, "tot", [at, at], referrer="https://www.google.com/x", country="DE")
    await apply_clicks(stores, settings, "tot", [at], agent=IPHONE, ip="198.51.100.2", referrer="https://t.co/a")
    await apply_clicks(stores, settings, "tot", [at], agent=GOOGLEBOT, ip="66.249.66.1")
    scope = Scope(link_id=link.id)
    rng = analytics.resolve_range(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert await analytics.totals(stores.pool, scope, rng, include_bots=False) == {
        "clicks": 3,
        "human_clicks": 3,
        "bot_clicks": 1,
        "total_clicks": 4,
        "visitors": 2,
    }
    assert (await analytics.totals(stores.pool, scope, rng, include_bots=True))["clicks"] == 4
    parts = await analytics.breakdowns(stores.pool, scope, rng, include_bots=False)
    assert [(p["value"], p["clicks"]) for p in parts["referrer"]] == [("google.com", 2), ("t.co", 1)]
    assert [(p["value"], p["clicks"]) for p in parts["device"]] == [("desktop", 2), ("mobile", 1)]
    assert [(p["value"], p["clicks"]) for p in parts["os"]] == [("Windows", 2), ("iOS", 1)]
    # The bot had no country: the unknown value holds one human click and one bot click.
    assert parts["country"] == [
        {"value": "DE", "clicks": 2, "human_clicks": 2, "bot_clicks": 0},
        {"value": None, "clicks": 1, "human_clicks": 1, "bot_clicks": 1},
    ]
    with_bots = await analytics.top_values(stores.pool, scope, rng, "device", include_bots=True)
    assert {"value": "bot", "clicks": 1, "human_clicks": 0, "bot_clicks": 1} in with_bots
    recent = await analytics.recent_clicks(stores.pool, link.id, include_bots=False)
    assert len(recent) == 3 and recent[0]["browser"] in {"Chrome", "Mobile Safari"}


async def test_owner_scope_and_top_links(stores: Stores, settings: Settings) -> None:
    owner = await stores.pool.fetchval(
        "INSERT INTO users (email, password_hash) VALUES ('o@example.com', 'x') RETURNING id"
    )
    await add_link(stores, settings, "https://example.com/", code="mine1", owner_id=owner)
    await add_link(stores, settings, "https://example.com/", code="mine2", owner_id=owner)
    await add_link(stores, settings, "https://example.com/", code="theirs")
    at = utc(2026, 5, 5, 10)
    await apply_clicks(stores, settings, "mine1", [at])
    await apply_clicks(stores, settings, "mine2", [at, at, at])
    await apply_clicks(stores, settings, "theirs", [at] * 5)
    rng = analytics.resolve_range(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert (await analytics.totals(stores.pool, Scope(owner_id=owner), rng, include_bots=False))["clicks"] == 4
    top = await analytics.top_links(stores.pool, owner, rng, include_bots=False)
    assert [(t["code"], t["clicks"]) for t in top] == [("mine2", 3), ("mine1", 1)]


def test_ranges_are_exact() -> None:
    now = utc(2026, 6, 1, 12, 34)
    default = analytics.resolve_range(start=None, end=None, now=now)
    # The default end rounds up to the quarter hour (so the last minutes' clicks are in); nothing
    # else rounds.
    assert (default.start, default.end) == (utc(2026, 5, 2, 12, 45), utc(2026, 6, 1, 12, 45))
    local = analytics.resolve_range(start=datetime(2026, 6, 1, 9, 15), end=None, tz="Europe/Berlin", now=now)
    assert local.start == utc(2026, 6, 1, 7, 15)
    quarter = analytics.resolve_range(start=utc(2026, 6, 1, 10, 45), end=utc(2026, 6, 1, 11, 15))
    assert (quarter.start, quarter.end) == (utc(2026, 6, 1, 10, 45), utc(2026, 6, 1, 11, 15))
    nepal = analytics.resolve_range(start=date(2026, 6, 1), end=date(2026, 6, 1), tz="Asia/Kathmandu")
    assert (nepal.start, nepal.end) == (utc(2026, 5, 31, 18, 15), utc(2026, 6, 1, 18, 15))
    with pytest.raises(InvalidRange):
        analytics.resolve_range(start=date(2026, 6, 2), end=date(2026, 6, 1))
    with pytest.raises(InvalidRange):
        analytics.resolve_range(start=None, end=None, tz="Mars/Olympus")
    with pytest.raises(InvalidRange):
        analytics.resolve_range(start=date(2020, 1, 1), end=date(2026, 1, 1))
