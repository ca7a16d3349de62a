"""Account rollups, hourly, daily and weekly rows (migrations 0012, 0013, 0015, 0023 and 0024, issue 17
items 4 and 6).

The worker writes them beside the quarter-hour rollups; here they are checked against those rows
(their sums per owner and per UTC day, and their visitor sketches' unions), a breakdown over a range
with partial UTC days at both edges in a +05:45 zone is checked click by click, and the migrations'
backfills are checked.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from admin import analytics
from admin.analytics import QUARTER_HOUR, DaySplit, Scope, Stretch, signed_stretches
from common.db import connect_kwargs
from common.migrate import migrate
from common.settings import Settings
from common.stores import Stores
from common.visitors import VisitorCount, merged, new_sketch
from tests.analytics.seed import GOOGLEBOT, apply_clicks
from tests.helpers import add_link

NEPAL = "Asia/Kathmandu"  # +05:45: its local midnights are at 18:15 UTC

MONDAY = "day - (extract(isodow FROM day)::int - 1)"  # the Monday starting a day's week
UTC_HOUR = "date_bin('1 hour', r.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')"  # a quarter hour's UTC hour
# Each new table and the same rows summed from the quarter-hour (or daily) rows: they must be equal.
AGREEMENT = {
    "owner_click_rollups": (
        "SELECT owner_id, bucket, is_bot, clicks FROM owner_click_rollups",
        """SELECT l.owner_id, r.bucket, r.is_bot, sum(r.clicks)
           FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL GROUP BY 1, 2, 3""",
    ),
    "owner_click_hours": (
        "SELECT owner_id, hour, is_bot, clicks FROM owner_click_hours",
        f"""SELECT l.owner_id, {UTC_HOUR}, r.is_bot, sum(r.clicks)
            FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL GROUP BY 1, 2, 3""",
    ),
    "click_days": (
        "SELECT link_id, day, is_bot, clicks FROM click_days",
        "SELECT link_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, sum(clicks) FROM click_rollups GROUP BY 1, 2, 3",
    ),
    "owner_click_days": (
        "SELECT owner_id, day, is_bot, clicks FROM owner_click_days",
        """SELECT l.owner_id, (r.bucket AT TIME ZONE 'UTC')::date, r.is_bot, sum(r.clicks)
           FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL GROUP BY 1, 2, 3""",
    ),
    "owner_dimension_rollups": (
        "SELECT owner_id, dimension, bucket, is_bot, value, clicks FROM owner_dimension_rollups",
        """SELECT l.owner_id, d.dimension, d.bucket, d.is_bot, d.value, sum(d.clicks)
           FROM click_dimension_rollups d JOIN links l ON l.id = d.link_id WHERE l.owner_id IS NOT NULL
           GROUP BY 1, 2, 3, 4, 5""",
    ),
    "click_dimension_days": (
        "SELECT link_id, dimension, day, is_bot, value, clicks FROM click_dimension_days",
        """SELECT link_id, dimension, (bucket AT TIME ZONE 'UTC')::date, is_bot, value, sum(clicks)
           FROM click_dimension_rollups GROUP BY 1, 2, 3, 4, 5""",
    ),
    "click_dimension_weeks": (
        "SELECT link_id, dimension, week, is_bot, value, clicks FROM click_dimension_weeks",
        f"""SELECT link_id, dimension, {MONDAY}, is_bot, value, sum(clicks)
            FROM click_dimension_days GROUP BY 1, 2, 3, 4, 5""",
    ),
    "owner_dimension_weeks": (
        "SELECT owner_id, dimension, week, is_bot, value, clicks FROM owner_dimension_weeks",
        f"""SELECT owner_id, dimension, {MONDAY}, is_bot, value, sum(clicks)
            FROM owner_dimension_days GROUP BY 1, 2, 3, 4, 5""",
    ),
    "click_weeks": (
        "SELECT link_id, week, is_bot, clicks, owner_id FROM click_weeks",
        f"SELECT link_id, {MONDAY}, is_bot, sum(clicks), max(owner_id) FROM click_days GROUP BY 1, 2, 3",
    ),
    "owner_dimension_days": (
        "SELECT owner_id, dimension, day, is_bot, value, clicks FROM owner_dimension_days",
        """SELECT l.owner_id, d.dimension, (d.bucket AT TIME ZONE 'UTC')::date, d.is_bot, d.value, sum(d.clicks)
           FROM click_dimension_rollups d JOIN links l ON l.id = d.link_id WHERE l.owner_id IS NOT NULL
           GROUP BY 1, 2, 3, 4, 5""",
    ),
}


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


async def rows(conn: asyncpg.Pool | asyncpg.Connection, query: str) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in await conn.fetch(query))


async def assert_agreement(conn: asyncpg.Pool | asyncpg.Connection) -> None:
    for table, (stored, summed) in AGREEMENT.items():
        found, wanted = await rows(conn, stored), await rows(conn, summed)
        assert found == wanted, table
        assert found, f"{table} is empty: the test proves nothing"
    # Per-link rows carry their link's owner (0014): an account's top links are found by it.
    for table in ("click_rollups", "click_days"):
        wrong = await conn.fetchval(
            f"""SELECT count(*) FROM {table} r LEFT JOIN links l ON l.id = r.link_id
                WHERE r.owner_id IS DISTINCT FROM l.owner_id AND l.id IS NOT NULL"""
        )
        assert wrong == 0, table
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE owner_id IS NOT NULL"), table


# Each sketched table's visitors and those of the quarter-hour sketches it is made of.
SKETCHES = {
    "owner_click_rollups": (
        "SELECT owner_id, bucket, is_bot, visitor_sketch FROM owner_click_rollups",
        """SELECT l.owner_id, r.bucket, r.is_bot, r.visitor_sketch
           FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL""",
    ),
    "owner_click_hours": (
        "SELECT owner_id, hour, is_bot, visitor_sketch FROM owner_click_hours",
        f"""SELECT l.owner_id, {UTC_HOUR}, r.is_bot, r.visitor_sketch
            FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL""",
    ),
    "click_days": (
        "SELECT link_id, day, is_bot, visitor_sketch FROM click_days",
        "SELECT link_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, visitor_sketch FROM click_rollups",
    ),
    "owner_click_days": (
        "SELECT owner_id, day, is_bot, visitor_sketch FROM owner_click_days",
        """SELECT l.owner_id, (r.bucket AT TIME ZONE 'UTC')::date, r.is_bot, r.visitor_sketch
           FROM click_rollups r JOIN links l ON l.id = r.link_id WHERE l.owner_id IS NOT NULL""",
    ),
}


async def visitors_by_row(conn: asyncpg.Pool, query: str) -> dict[tuple[object, ...], int]:
    counts: dict[tuple[object, ...], VisitorCount] = {}
    for *key, sketch in await conn.fetch(query):
        counts.setdefault(tuple(key), VisitorCount()).add(sketch)
    return {key: count.estimate for key, count in counts.items()}


async def assert_sketches_agree(conn: asyncpg.Pool) -> None:
    for table, (stored, made_of) in SKETCHES.items():
        found = await visitors_by_row(conn, stored)
        assert found == await visitors_by_row(conn, made_of), table
        assert all(found.values()), f"{table} has a row without visitors"


async def new_owner(stores: Stores, email: str) -> int:
    owner: int = await stores.pool.fetchval(
        "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id", email
    )
    return owner


async def test_the_worker_keeps_account_and_daily_rows_equal_to_the_quarter_hour_sums(
    stores: Stores, settings: Settings
) -> None:
    owner, other = await new_owner(stores, "o@example.com"), await new_owner(stores, "p@example.com")
    await add_link(stores, settings, "https://example.com/", code="a1", owner_id=owner)
    await add_link(stores, settings, "https://example.com/", code="a2", owner_id=owner)
    await add_link(stores, settings, "https://example.com/", code="b1", owner_id=other)
    await add_link(stores, settings, "https://example.com/", code="nobody")
    instants = [utc(1, 23, 50), utc(2, 0, 5), utc(2, 0, 10), utc(2, 13, 44), utc(3, 18, 15)]
    await apply_clicks(stores, settings, "a1", instants, country="DE", referrer="https://t.co/x")
    await apply_clicks(stores, settings, "a2", instants[1:], ip="198.51.100.2", agent=GOOGLEBOT)
    await apply_clicks(stores, settings, "a2", instants[:3], ip="198.51.100.3", country="IN")
    await apply_clicks(stores, settings, "b1", instants[:2])
    await apply_clicks(stores, settings, "nobody", instants)
    await assert_agreement(stores.pool)
    await assert_sketches_agree(stores.pool)
    totals = await stores.pool.fetchrow(
        "SELECT sum(clicks) FILTER (WHERE NOT is_bot), sum(clicks) FILTER (WHERE is_bot) "
        "FROM owner_click_rollups WHERE owner_id = $1",
        owner,
    )
    assert totals is not None and tuple(totals) == (8, 4)


def test_a_range_splits_into_whole_utc_days_and_two_partial_edges() -> None:
    rng = analytics.resolve_range(start=date(2026, 6, 2), end=date(2026, 6, 4), tz=NEPAL)
    assert (rng.start, rng.end) == (utc(1, 18, 15), utc(4, 18, 15))
    assert DaySplit.of(rng) == DaySplit(date(2026, 6, 2), date(2026, 6, 4), utc(2), utc(4))
    inside_one_day = analytics.resolve_range(start=utc(2, 1, 45), end=utc(2, 23, 15))
    assert DaySplit.of(inside_one_day) == DaySplit(date(2026, 6, 3), date(2026, 6, 3), utc(2, 23, 15), utc(2, 23, 15))
    whole_days = analytics.resolve_range(start=utc(2), end=utc(4))
    assert DaySplit.of(whole_days) == DaySplit(date(2026, 6, 2), date(2026, 6, 4), utc(2), utc(4))
    assert DaySplit.of(whole_days).weeks == (date(2026, 6, 4), date(2026, 6, 4))  # no whole week: days only


def test_the_whole_days_hold_whole_weeks_from_monday() -> None:
    # 2026-06-01 is a Monday: [Wed 06-03, Tue 06-23) holds the weeks of 06-08 and 06-15.
    split = DaySplit(date(2026, 6, 3), date(2026, 6, 23), utc(3), utc(23))
    assert split.weeks == (date(2026, 6, 8), date(2026, 6, 22))
    assert DaySplit(date(2026, 6, 1), date(2026, 6, 8), utc(1), utc(8)).weeks == (date(2026, 6, 1), date(2026, 6, 8))


def test_long_partial_days_and_runs_of_days_are_read_as_their_day_or_week_less_the_rest() -> None:
    # Kolkata's June: [05-31 18:30, 06-30 18:30) UTC. The head (5.5 h) is quarter hours; the tail
    # (18.5 h) its day less the 22 quarter hours after 18:30. Whole days 06-01..06-30: weeks from
    # Monday 06-01 to Monday 06-29, and 06-29 alone beside them.
    rng = analytics.resolve_range(start=date(2026, 6, 1), end=date(2026, 6, 30), tz="Asia/Kolkata")
    assert signed_stretches(rng) == [
        Stretch("quarter", datetime(2026, 5, 31, 18, 30, tzinfo=UTC), utc(1)),
        Stretch("day", date(2026, 6, 30), date(2026, 7, 1)),
        Stretch("quarter", utc(30, 18, 30), datetime(2026, 7, 1, tzinfo=UTC), -1),
        Stretch("week", date(2026, 6, 1), date(2026, 6, 29)),
        Stretch("day", date(2026, 6, 29), date(2026, 6, 30)),
    ]
    # Thursday 06-04 to Saturday 06-27 (UTC): 4 days before the weeks, 6 after, each its week less
    # the other days.
    rng = analytics.resolve_range(start=date(2026, 6, 4), end=date(2026, 6, 27), tz="UTC")
    assert signed_stretches(rng) == [
        Stretch("week", date(2026, 6, 8), date(2026, 6, 22)),
        Stretch("week", date(2026, 6, 1), date(2026, 6, 8)),
        Stretch("day", date(2026, 6, 1), date(2026, 6, 4), -1),
        Stretch("week", date(2026, 6, 22), date(2026, 6, 29)),
        Stretch("day", date(2026, 6, 28), date(2026, 6, 29), -1),
    ]


async def test_breakdowns_and_top_links_count_exactly_the_clicks_of_any_range(
    stores: Stores, settings: Settings
) -> None:
    owner = await new_owner(stores, "o@example.com")
    links = {code: await add_link(stores, settings, "https://example.com/", code=code, owner_id=owner) for code in "ab"}
    # A click every 5 h 17 min for seven weeks: every hour of the day and every weekday, in four
    # countries and on two links.
    instants = [datetime(2026, 5, 25, tzinfo=UTC) + n * timedelta(hours=5, minutes=17) for n in range(224)]
    clicks = [(at, "ab"[n % 3 == 0], ("DE", "FR", "IN", "US")[n % 4]) for n, at in enumerate(instants)]
    for code in "ab":
        for country in ("DE", "FR", "IN", "US"):
            mine = [at for at, link, where in clicks if link == code and where == country]
            await apply_clicks(stores, settings, code, mine, country=country)
    rng_of_ranges = random.Random(7)
    for _ in range(40):
        start = datetime(2026, 5, 24, tzinfo=UTC) + rng_of_ranges.randrange(50 * 96) * QUARTER_HOUR
        end = start + rng_of_ranges.randrange(1, 40 * 96) * QUARTER_HOUR
        rng = analytics.resolve_range(start=start, end=end, tz="UTC")
        inside = [(link, country) for at, link, country in clicks if start <= at < end]
        by_country = Counter(country for _, country in inside)
        countries = await analytics.top_values(stores.pool, Scope(owner_id=owner), rng, "country", include_bots=False)
        assert {item["value"]: item["clicks"] for item in countries} == by_country, (start, end)
        of_a = Counter(country for link, country in inside if link == "a")
        countries = await analytics.top_values(
            stores.pool, Scope(link_id=links["a"].id), rng, "country", include_bots=False
        )
        assert {item["value"]: item["clicks"] for item in countries} == of_a, (start, end)
        top = await analytics.top_links(stores.pool, owner, rng, include_bots=False)
        assert {item["code"]: item["clicks"] for item in top} == Counter(link for link, _ in inside), (start, end)


async def test_a_breakdown_with_partial_days_at_both_edges_is_exact_in_a_quarter_to_zone(
    stores: Stores, settings: Settings
) -> None:
    owner = await new_owner(stores, "o@example.com")
    link = await add_link(stores, settings, "https://example.com/", code="np", owner_id=owner)
    # 2026-06-02..06-03 in Kathmandu is [06-01 18:15, 06-03 18:15) UTC: a head of 06-01, the whole
    # UTC day 06-02, and a tail of 06-03. A click a millisecond outside each bound, and one at each
    # bound and at each UTC midnight, in countries that tell them apart.
    clicks = {
        "FR": [utc(1, 18, 15) - timedelta(milliseconds=1), utc(3, 18, 15)],  # outside
        "IN": [utc(1, 18, 15), utc(1, 23, 59)],  # the head
        "DE": [utc(2), utc(2, 12), utc(2, 23, 59)],  # the whole day
        "US": [utc(3), utc(3, 18, 15) - timedelta(milliseconds=1)],  # the tail
    }
    for country, instants in clicks.items():
        await apply_clicks(stores, settings, "np", instants, country=country)
    rng = analytics.resolve_range(start=date(2026, 6, 2), end=date(2026, 6, 3), tz=NEPAL)
    for scope in (Scope(link_id=link.id), Scope(owner_id=owner)):
        countries = await analytics.top_values(stores.pool, scope, rng, "country", include_bots=False)
        assert [(item["value"], item["clicks"]) for item in countries] == [("DE", 3), ("IN", 2), ("US", 2)]


@pytest.fixture
async def conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection on the test's schema, emptied and migrated to the version before 0012."""
    connection = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await connection.execute(f'DROP SCHEMA "{settings.database_schema}" CASCADE')
        await migrate(connection, schema=settings.database_schema, until=11)
        yield connection
    finally:
        await connection.close()


async def test_the_migration_backfills_from_the_quarter_hour_rows(conn: asyncpg.Connection, settings: Settings) -> None:
    owner = await conn.fetchval("INSERT INTO users (email, password_hash) VALUES ('o@example.com', 'x') RETURNING id")
    mine = [
        await conn.fetchval(
            "INSERT INTO links (code, target_url, owner_id) VALUES ($1, 'https://e.com/', $2) RETURNING id", code, owner
        )
        for code in ("m1", "m2")
    ]
    unowned = await conn.fetchval("INSERT INTO links (code, target_url) VALUES ('u', 'https://e.com/') RETURNING id")
    deleted = max(*mine, unowned) + 1  # rows of a link deleted before the migration
    buckets = [utc(1, 23, 45), utc(2), utc(2, 0, 15), utc(3, 18, 30)]
    for number, link_id in enumerate([*mine, unowned, deleted], start=1):
        for bucket in buckets:
            await conn.execute(
                "INSERT INTO click_rollups (link_id, bucket, is_bot, clicks, visitors) VALUES ($1, $2, $3, $4, 1)",
                link_id,
                bucket,
                number % 2 == 0,
                number + 1,
            )
            for value in ("DE", "IN"):
                await conn.execute(
                    "INSERT INTO click_dimension_rollups (link_id, dimension, bucket, is_bot, value, clicks) "
                    "VALUES ($1, 'country', $2, false, $3, $4)",
                    link_id,
                    bucket,
                    value,
                    number,
                )
    await migrate(conn, schema=settings.database_schema)
    await assert_agreement(conn)
    assert await conn.fetchval("SELECT sum(clicks) FROM owner_click_rollups") == 4 * (2 + 3)


def sketch_of(keys: range) -> bytes:
    sketch = new_sketch()
    for key in keys:
        sketch.update(key)
    return merged(None, sketch)


async def test_the_hourly_migration_unions_each_hours_quarter_hour_sketches(settings: Settings) -> None:
    connection = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await connection.execute(f'DROP SCHEMA "{settings.database_schema}" CASCADE')
        await migrate(connection, schema=settings.database_schema, until=23)
        owner = await connection.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ('o@e.com', 'x') RETURNING id"
        )
        # More hours than the step unions at a time; in each, two quarter hours sharing visitor 1000 * hour
        # + 1, and a bot's quarter hour without a sketch (an older row).
        hours = [utc(1) + timedelta(hours=number) for number in range(1_100)]
        rows: list[tuple[int, datetime, bool, int, bytes | None]] = []
        for number, hour in enumerate(hours):
            first = 1_000 * number
            rows.append((owner, hour, False, 2, sketch_of(range(first, first + 2))))
            rows.append((owner, hour + 2 * QUARTER_HOUR, False, 3, sketch_of(range(first + 1, first + 4))))
            rows.append((owner, hour + 3 * QUARTER_HOUR, True, 1, None))
        await connection.executemany(
            "INSERT INTO owner_click_rollups (owner_id, bucket, is_bot, clicks, visitor_sketch) "
            "VALUES ($1, $2, $3, $4, $5)",
            rows,
        )
        await migrate(connection, schema=settings.database_schema)
        stored = await connection.fetch("SELECT hour, is_bot, clicks, visitor_sketch FROM owner_click_hours")
    finally:
        await connection.close()
    found = {(row["hour"], row["is_bot"]): (row["clicks"], row["visitor_sketch"]) for row in stored}
    assert len(found) == 2 * len(hours)
    for hour in hours:
        clicks, sketch = found[(hour, False)]
        assert (clicks, VisitorCount().add_all([sketch]).estimate) == (5, 4)
        assert found[(hour, True)] == (1, None)
