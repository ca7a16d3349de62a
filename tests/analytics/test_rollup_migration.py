"""Migration 0011: hourly rollups become quarter-hour rollups, re-derived from the raw clicks (issue 17).

The test's schema is migrated to 0010 only, filled as the hourly worker left it (raw clicks, and
the hourly rows it wrote for them), then migrated to the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import asyncpg
import pytest

from admin import analytics
from admin.analytics import Scope
from common.db import connect_kwargs
from common.migrate import migrate
from common.settings import Settings
from common.stores import open_stores
from worker.partitions import partition_name

HOURLY_VERSION = 10
QUARTER_HOURLY_VERSION = 11
MAY_5 = datetime(2026, 5, 5, tzinfo=UTC)
GONE_HOUR = datetime(2024, 1, 10, 9, tzinfo=UTC)  # its month's partition was dropped long ago
COVERED, CHANGED = 1, 2  # link ids: rows the raw clicks cover; a row someone changed by hand


def may5(hour: int, minute: int = 0) -> datetime:
    return MAY_5 + timedelta(hours=hour, minutes=minute)


class RawClick(NamedTuple):
    link_id: int
    clicked_at: datetime
    stream_id: str  # the order the worker applied them in
    visitor: bytes
    country: str
    city: str
    referrer_host: str
    browser: str
    is_bot: bool


CLICKS = [
    RawClick(COVERED, may5(8, 20), "1-0", b"a", "IN", "Mumbai", "google.com", "Chrome", False),
    RawClick(COVERED, may5(8, 35), "2-0", b"b", "", "", "", "Firefox", False),
    RawClick(COVERED, may5(8, 40), "3-0", b"a", "IN", "Mumbai", "", "Chrome", False),
    RawClick(COVERED, may5(8, 50), "4-0", b"g", "US", "", "", "Googlebot", True),
    # Visitor c's click of 11:05 was applied before their delayed one of 10:55: the worker counted
    # c's first visit in the 11:00 hour, where it must stay.
    RawClick(COVERED, may5(11, 5), "5-0", b"c", "DE", "Berlin", "", "Safari", False),
    RawClick(COVERED, may5(10, 55), "6-0", b"c", "DE", "Berlin", "", "Safari", False),
    RawClick(CHANGED, may5(9, 10), "7-0", b"d", "", "", "", "Chrome", False),
    RawClick(CHANGED, may5(9, 40), "8-0", b"d", "", "", "", "Chrome", False),
]
# (link, hour, is_bot, clicks, visitors) as the hourly worker wrote them for CLICKS, and two more.
HOURLY = [
    (COVERED, may5(8), False, 3, 2),
    (COVERED, may5(8), True, 1, 1),
    (COVERED, may5(10), False, 1, 0),
    (COVERED, may5(11), False, 1, 1),
    (CHANGED, may5(9), False, 5, 1),  # 2 raw clicks: not covered
    (CHANGED, GONE_HOUR, False, 7, 3),  # no raw clicks left
]
QUARTER_HOURLY = [
    (COVERED, may5(8, 15), False, 1, 1),
    (COVERED, may5(8, 30), False, 2, 1),
    (COVERED, may5(8, 45), True, 1, 1),
    (COVERED, may5(10, 45), False, 1, 0),
    (COVERED, may5(11), False, 1, 1),
    (CHANGED, GONE_HOUR, False, 7, 3),
    (CHANGED, may5(9), False, 5, 1),
]


@pytest.fixture
async def conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection on the test's schema, emptied and migrated to the last hourly version."""
    connection = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await connection.execute(f'DROP SCHEMA "{settings.database_schema}" CASCADE')
        await migrate(connection, schema=settings.database_schema, until=HOURLY_VERSION)
        yield connection
    finally:
        await connection.close()


async def insert_hourly_state(conn: asyncpg.Connection) -> None:
    month = date(2026, 5, 1)
    await conn.execute(
        f"CREATE TABLE {partition_name(month)} PARTITION OF clicks "
        "FOR VALUES FROM ('2026-05-01 00:00:00+00') TO ('2026-06-01 00:00:00+00')"
    )
    await conn.executemany(
        """INSERT INTO clicks (link_id, clicked_at, shard, stream_id, position, visitor_hash, country, city,
                               referrer_host, browser, is_bot)
           VALUES ($1, $2, 0, $3, 0, $4, $5, $6, $7, $8, $9)""",
        CLICKS,
    )
    await conn.executemany(
        "INSERT INTO click_rollups (link_id, hour, is_bot, clicks, visitors) VALUES ($1, $2, $3, $4, $5)", HOURLY
    )
    # The hourly dimension rows: re-derived ones are replaced, the others must stay as they are.
    await conn.execute(
        """INSERT INTO click_dimension_rollups (link_id, dimension, hour, is_bot, value, clicks)
           SELECT link_id, 'browser', date_trunc('hour', clicked_at, 'UTC'), is_bot, browser, count(*)
           FROM clicks GROUP BY 1, 2, 3, 4, 5"""
    )
    await conn.execute(
        "UPDATE click_dimension_rollups SET clicks = 5 WHERE link_id = $1 AND hour = $2", CHANGED, may5(9)
    )
    await conn.execute(
        "INSERT INTO click_dimension_rollups (link_id, dimension, hour, is_bot, value, clicks) "
        "VALUES ($1, 'browser', $2, false, 'Opera', 7)",
        CHANGED,
        GONE_HOUR,
    )


async def hourly_sums(conn: asyncpg.Connection, column: str) -> list[tuple[object, ...]]:
    rows = await conn.fetch(
        f"""SELECT link_id, date_trunc('hour', {column}, 'UTC') AS hour, is_bot, sum(clicks), sum(visitors)
            FROM click_rollups GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
    )
    return [tuple(row) for row in rows]


async def test_rollups_are_re_derived_per_quarter_hour_where_the_raw_clicks_cover_them(
    conn: asyncpg.Connection, settings: Settings
) -> None:
    await insert_hourly_state(conn)
    before = await hourly_sums(conn, "hour")

    applied = await migrate(conn, schema=settings.database_schema, until=QUARTER_HOURLY_VERSION)
    assert [m.version for m in applied] == [QUARTER_HOURLY_VERSION]

    rows = await conn.fetch("SELECT link_id, bucket, is_bot, clicks, visitors FROM click_rollups ORDER BY 1, 2, 3")
    assert [tuple(row) for row in rows] == QUARTER_HOURLY
    # Not one hour's clicks or visitors changed: only where they lie inside the hour.
    assert await hourly_sums(conn, "bucket") == before
    browsers = await conn.fetch(
        """SELECT link_id, bucket, is_bot, value, clicks FROM click_dimension_rollups
           WHERE dimension = 'browser' ORDER BY 1, 2, 3, 4"""
    )
    assert [tuple(row) for row in browsers] == [
        (COVERED, may5(8, 15), False, "Chrome", 1),
        (COVERED, may5(8, 30), False, "Chrome", 1),
        (COVERED, may5(8, 30), False, "Firefox", 1),
        (COVERED, may5(8, 45), True, "Googlebot", 1),
        (COVERED, may5(10, 45), False, "Safari", 1),
        (COVERED, may5(11), False, "Safari", 1),
        (CHANGED, GONE_HOUR, False, "Opera", 7),
        (CHANGED, may5(9), False, "Chrome", 5),
    ]
    cities = await conn.fetch(
        "SELECT bucket, value, clicks FROM click_dimension_rollups WHERE link_id = $1 AND dimension = 'city' "
        "ORDER BY 1, 2",
        COVERED,
    )
    assert [tuple(row) for row in cities] == [
        (may5(8, 15), "IN|Mumbai", 1),
        (may5(8, 30), "", 1),
        (may5(8, 30), "IN|Mumbai", 1),
        (may5(8, 45), "", 1),
        (may5(10, 45), "DE|Berlin", 1),
        (may5(11), "DE|Berlin", 1),
    ]
    # Each of the six dimensions of a re-derived row adds up to its clicks.
    dimensions = await conn.fetch(
        """SELECT dimension, sum(clicks) FROM click_dimension_rollups WHERE link_id = $1
           GROUP BY 1 ORDER BY 1""",
        COVERED,
    )
    assert [tuple(row) for row in dimensions] == [
        (name, 6) for name in ("browser", "city", "country", "device", "os", "referrer")
    ]


async def test_the_migrated_rollups_answer_half_hour_zones_exactly(
    conn: asyncpg.Connection, settings: Settings
) -> None:
    await insert_hourly_state(conn)
    await migrate(conn, schema=settings.database_schema)
    async with open_stores(settings) as stores:
        # 14:00-15:00 in Kolkata is 08:30-09:30 UTC: two human clicks and the bot's, none of them
        # in the hourly row of 09:00 that the hour would have been read from before.
        rng = analytics.resolve_range(start=datetime(2026, 5, 5, 14), end=datetime(2026, 5, 5, 15), tz="Asia/Kolkata")
        totals = await analytics.totals(stores.pool, Scope(link_id=COVERED), rng, include_bots=False)
        # Visitors are counted from 0013 on: its per-day counts could not become distinct ones.
        assert (totals["human_clicks"], totals["bot_clicks"], totals["visitors"]) == (2, 1, 0)


async def test_the_rollup_columns_and_index_are_renamed_and_the_grain_is_checked(
    conn: asyncpg.Connection, settings: Settings
) -> None:
    await migrate(conn, schema=settings.database_schema)
    columns = await conn.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = $1 AND table_name IN ('click_rollups', 'click_dimension_rollups')
             AND column_name IN ('hour', 'bucket') ORDER BY 1""",
        settings.database_schema,
    )
    assert [tuple(row) for row in columns] == [("click_dimension_rollups", "bucket"), ("click_rollups", "bucket")]
    assert await conn.fetchval("SELECT to_regclass('click_rollups_bucket_idx') IS NOT NULL")
    with pytest.raises(asyncpg.CheckViolationError):
        await conn.execute(
            "INSERT INTO click_rollups (link_id, bucket, is_bot, clicks) VALUES (1, $1, false, 1)", may5(8, 10)
        )
