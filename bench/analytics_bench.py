"""Analytics latency and rollup storage at a size: 10 million clicks over 1,000 links and a year.

    .venv/bin/python -m bench.analytics_bench [--clicks 10000000] [--links 1000] [--days 365] [--requests 100]
                                              [--visitors 2000000] [--keep TAG]

Seeds one account's links and the rollups those clicks make (quarter-hour rows per link, and per
link and dimension value, and the account and daily rows summed from them, with their visitor
sketches: what the worker writes), generated in Postgres from synthetic clicks (skewed over links,
spread over the year, 10 % bots, visitors drawn skewed from ``--visitors``, realistic spreads of
countries, cities, referrers, browsers, OS and devices); the sketches are built in Python. The raw
clicks table is not filled: the analytics endpoints measured here read only the rollups. Then a
real `hop admin` answers ``--requests`` calls of each endpoint for the last 30 days, in time zones
with whole- and part-hour offsets, and the script prints p50/p95/max latency next to the 50 ms p95
budget, and the rollup tables' rows and sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from common.db import connect_kwargs
from common.migrate import migrate
from common.settings import Settings
from common.visitors import merged, new_sketch
from harness.processes import start_admin
from harness.stores import create_namespace, drop_namespace, namespaced, run_sync, stores_for

BUDGET_P95_MS = 50.0
EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns")
RANGE_DAYS = 30

# One synthetic click per row: link skewed towards the first links (a few hot, a long tail), time
# spread evenly over the days, 10 % bots, and each dimension drawn from a skewed list of values.
SYNTHETIC_CLICKS = """
CREATE UNLOGGED TABLE bench_clicks AS
SELECT
    (SELECT min(id) FROM links) + floor($2::float8 * power(random(), 3))::bigint AS link_id,
    $3::timestamptz - make_interval(secs => random() * $4::float8 * 86400) AS clicked_at,
    random() < 0.1 AS is_bot,
    (ARRAY['US','DE','IN','GB','FR','BR','NP','CA','AU','JP','NZ','ES','IT','NL','SE','PL','MX','KR','ZA',''])
        [1 + floor(20 * power(random(), 2))::int] AS country,
    'City ' || floor(200 * power(random(), 3))::int AS city,
    (ARRAY['','google.com','t.co','facebook.com','news.ycombinator.com','reddit.com','linkedin.com',
           'bing.com','duckduckgo.com','mail.example'])[1 + floor(10 * power(random(), 2))::int] AS referrer_host,
    (ARRAY['Chrome','Safari','Firefox','Edge','Samsung Internet','Opera','Googlebot','curl'])
        [1 + floor(8 * power(random(), 2))::int] AS browser,
    (ARRAY['Windows','iOS','Android','macOS','Linux','ChromeOS'])[1 + floor(6 * power(random(), 2))::int] AS os,
    (ARRAY['desktop','mobile','tablet'])[1 + floor(3 * power(random(), 2))::int] AS device,
    floor($5::float8 * power(random(), 2))::bigint AS visitor
FROM generate_series(1, $1::bigint)
"""
QUARTER_HOUR = "date_bin('15 minutes', clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
UTC_DAY = "(clicked_at AT TIME ZONE 'UTC')::date"
# Per-link rows carry their link's owner (0014), as the worker writes them.
ROLLUPS = f"""
INSERT INTO click_rollups (link_id, bucket, is_bot, clicks, owner_id)
SELECT c.link_id, {QUARTER_HOUR}, c.is_bot, count(*), l.owner_id
FROM bench_clicks c JOIN links l ON l.id = c.link_id GROUP BY 1, 2, 3, 5
"""
# One statement per dimension: a statement for all six groups six times the rows at once, and at
# 10 million clicks its groups no longer fit in memory (an hour of spilling instead of minutes).
DIMENSION_VALUES = {
    "country": "country",
    "city": "CASE WHEN country <> '' THEN country || '|' || city ELSE '' END",
    "referrer": "referrer_host",
    "browser": "browser",
    "os": "os",
    "device": "device",
}
DIMENSION_ROLLUPS = [
    f"""INSERT INTO click_dimension_rollups (link_id, dimension, bucket, is_bot, value, clicks)
        SELECT link_id, '{dimension}', {QUARTER_HOUR}, is_bot, {value}, count(*)
        FROM bench_clicks GROUP BY 1, 2, 3, 4, 5"""
    for dimension, value in DIMENSION_VALUES.items()
]
LINK_COUNTS = """
UPDATE links SET click_count = r.clicks, bot_clicks = r.bots
FROM (SELECT link_id, sum(clicks) AS clicks, sum(clicks) FILTER (WHERE is_bot) AS bots
      FROM click_rollups GROUP BY link_id) AS r
WHERE links.id = r.link_id
"""
# The account and daily rollups the worker sums from the rows above (worker/apply.py,
# _account_rollups), filled as migrations 0012, 0013 and 0015 backfill them.
ACCOUNT_ROLLUPS = (
    """INSERT INTO owner_click_rollups (owner_id, bucket, is_bot, clicks)
       SELECT l.owner_id, r.bucket, r.is_bot, sum(r.clicks)
       FROM click_rollups r JOIN links l ON l.id = r.link_id GROUP BY 1, 2, 3""",
    """INSERT INTO click_days (link_id, day, is_bot, clicks, owner_id)
       SELECT link_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, sum(clicks), owner_id
       FROM click_rollups GROUP BY 1, 2, 3, 5""",
    """INSERT INTO owner_click_days (owner_id, day, is_bot, clicks)
       SELECT owner_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, sum(clicks)
       FROM owner_click_rollups GROUP BY 1, 2, 3""",
)
# Per dimension, for the reason above.
DIMENSION_ACCOUNT_ROLLUPS = (
    """INSERT INTO owner_dimension_rollups (owner_id, dimension, bucket, is_bot, value, clicks)
       SELECT l.owner_id, d.dimension, d.bucket, d.is_bot, d.value, sum(d.clicks)
       FROM click_dimension_rollups d JOIN links l ON l.id = d.link_id
       WHERE d.dimension = '{dimension}' GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO click_dimension_days (link_id, dimension, day, is_bot, value, clicks)
       SELECT link_id, dimension, (bucket AT TIME ZONE 'UTC')::date, is_bot, value, sum(clicks)
       FROM click_dimension_rollups WHERE dimension = '{dimension}' GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO owner_dimension_days (owner_id, dimension, day, is_bot, value, clicks)
       SELECT owner_id, dimension, (bucket AT TIME ZONE 'UTC')::date, is_bot, value, sum(clicks)
       FROM owner_dimension_rollups WHERE dimension = '{dimension}' GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO click_dimension_weeks (link_id, dimension, week, is_bot, value, clicks)
       SELECT link_id, dimension, day - (extract(isodow FROM day)::int - 1), is_bot, value, sum(clicks)
       FROM click_dimension_days WHERE dimension = '{dimension}' GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO owner_dimension_weeks (owner_id, dimension, week, is_bot, value, clicks)
       SELECT owner_id, dimension, day - (extract(isodow FROM day)::int - 1), is_bot, value, sum(clicks)
       FROM owner_dimension_days WHERE dimension = '{dimension}' GROUP BY 1, 2, 3, 4, 5""",
)
# Each sketched table: its subject and period columns, and how a synthetic click's are computed
# (the bench's links all have one owner, $1). Postgres cannot build sketches, so Python does.
SKETCHED = {
    "click_rollups": ("link_id", "link_id", "bucket", QUARTER_HOUR, "timestamptz"),
    "click_days": ("link_id", "link_id", "day", UTC_DAY, "date"),
    "owner_click_rollups": ("owner_id", "$1::bigint", "bucket", QUARTER_HOUR, "timestamptz"),
    "owner_click_days": ("owner_id", "$1::bigint", "day", UTC_DAY, "date"),
}
SKETCH_BATCH = 20_000
SEED_WORK_MEM = "2GB"
TABLES = (
    "click_rollups",
    "click_dimension_rollups",
    "owner_click_rollups",
    "click_days",
    "owner_click_days",
    "owner_dimension_rollups",
    "click_dimension_days",
    "owner_dimension_days",
    "click_dimension_weeks",
    "owner_dimension_weeks",
)


@dataclass(frozen=True)
class Latency:
    endpoint: str
    samples_ms: list[float]

    def line(self) -> str:
        ordered = sorted(self.samples_ms)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        verdict = "PASS" if p95 <= BUDGET_P95_MS else "FAIL"
        return (
            f"  {self.endpoint:<34} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
            f"max {ordered[-1]:7.1f} ms   ({len(ordered)} calls; budget p95 {BUDGET_P95_MS:.0f} ms: {verdict})"
        )

    @property
    def within_budget(self) -> bool:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)] <= BUDGET_P95_MS


async def seed(settings: Settings, owner_id: int, args: argparse.Namespace) -> list[str]:
    """The account's links and their rollups; returns the links' codes."""
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        # A bulk load: the rollups are tens of millions of groups at 10 million clicks, and with the
        # default 4 MB per sort or hash they spill to disk for an hour instead of minutes.
        await conn.execute(f"SET work_mem = '{SEED_WORK_MEM}'")
        codes = [f"bench{index:05d}" for index in range(args.links)]
        await conn.copy_records_to_table(
            "links",
            records=[(code, f"https://example.com/{code}", owner_id) for code in codes],
            columns=["code", "target_url", "owner_id"],
        )
        now = datetime.now(UTC)
        started = time.perf_counter()
        await conn.execute(SYNTHETIC_CLICKS, args.clicks, args.links, now, args.days, args.visitors)
        dimension_rows = [sql.format(dimension=name) for name in DIMENSION_VALUES for sql in DIMENSION_ACCOUNT_ROLLUPS]
        for statement in (ROLLUPS, *DIMENSION_ROLLUPS, LINK_COUNTS, *ACCOUNT_ROLLUPS, *dimension_rows):
            await conn.execute(statement)
        for table in SKETCHED:
            await fill_sketches(conn, table, owner_id)
        await conn.execute("DROP TABLE bench_clicks")
        for table in TABLES:
            await conn.execute(f"VACUUM ANALYZE {table}")
        print(
            f"seeded {args.clicks:,} clicks' rollups over {args.links:,} links in {time.perf_counter() - started:.0f} s"
        )
        return codes
    finally:
        await conn.close()


async def fill_sketches(conn: asyncpg.Connection, table: str, owner_id: int) -> None:
    """Each row's visitor sketch, built from its synthetic clicks' visitors as the worker would."""
    subject, subject_sql, period, period_sql, period_type = SKETCHED[table]
    # One name per table: asyncpg caches a COPY target's column types by name.
    scratch = f"{table}_sketches"
    await conn.execute(
        f"CREATE TEMPORARY TABLE {scratch} (subject bigint, period {period_type}, is_bot boolean, sketch bytea)"
    )
    query = f"SELECT {subject_sql}, {period_sql}, is_bot, array_agg(visitor) FROM bench_clicks GROUP BY 1, 2, 3"
    parameters = [owner_id] if "$1" in subject_sql else []
    batch: list[tuple[int, object, bool, bytes]] = []
    async with conn.transaction():
        async for subject_id, when, is_bot, visitors in conn.cursor(query, *parameters, prefetch=1_000):
            sketch = new_sketch()
            for visitor in visitors:
                sketch.update(visitor)
            batch.append((subject_id, when, is_bot, merged(None, sketch)))
            if len(batch) == SKETCH_BATCH:
                await conn.copy_records_to_table(scratch, records=batch)
                batch = []
        await conn.copy_records_to_table(scratch, records=batch)
    await conn.execute(
        f"""UPDATE {table} AS t SET visitor_sketch = s.sketch FROM {scratch} s
            WHERE t.{subject} = s.subject AND t.{period} = s.period AND t.is_bot = s.is_bot"""
    )
    await conn.execute(f"DROP TABLE {scratch}")


async def storage(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        lines = []
        for table in TABLES:
            rows = await conn.fetchval(f"SELECT count(*) FROM {table}")
            size = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table)
            lines.append(f"  {table:<26} {rows:>12,} rows  {size / 2**20:9.1f} MiB (with indexes)")
        return lines
    finally:
        await conn.close()


def measure(base_url: str, token: str, codes: list[str], requests: int) -> list[Latency]:
    """``requests`` calls of each endpoint for the last 30 local days in a rotating zone."""
    rng = random.Random(17)
    today = datetime.now(UTC).date()
    window = {"from": (today - timedelta(days=RANGE_DAYS - 1)).isoformat(), "to": today.isoformat()}
    headers = {"Authorization": f"Bearer {token}"}
    endpoints: dict[str, Callable[[], str]] = {
        "GET /links/{code}/analytics": lambda: f"/api/v1/links/{rng.choice(codes)}/analytics",
        "GET /analytics/overview": lambda: "/api/v1/analytics/overview",
        "GET /analytics/top-links": lambda: "/api/v1/analytics/top-links",
    }
    results = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for name, path in endpoints.items():
            samples = []
            for call in range(requests):
                params = {**window, "tz": ZONES[call % len(ZONES)], "interval": "day"}
                started = time.perf_counter()
                response = http.get(path(), params=params)
                samples.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            results.append(Latency(name, samples))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--visitors", type=int, default=2_000_000, help="distinct visitors the clicks come from")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--keep",
        metavar="TAG",
        help="seed into the namespace ns_TAG and keep it: a later run with the same TAG migrates it to the "
        "latest schema and measures it again without seeding (10 million clicks take about an hour to seed)",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hop-analytics-bench-"))
    with stores_for("HOP_BENCH", data_dir) as urls:
        settings = namespaced(urls, tag=args.keep, log_level="WARNING", admin_metrics_port=0)
        kept = args.keep is not None and asyncio.run(seeded(settings))
        if not kept:
            run_sync(create_namespace(settings))
        admin = start_admin(settings, log_path=data_dir / "admin.log")
        try:
            access = sign_in(admin.url) if kept else set_up(admin.url)
            owner = httpx.get(f"{admin.url}/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).json()
            codes = asyncio.run(link_codes(settings) if kept else seed(settings, owner["id"], args))
            latencies = measure(admin.url, access, codes, args.requests)
            sizes = asyncio.run(storage(settings))
        finally:
            admin.stop()
            if args.keep is None:
                run_sync(drop_namespace(settings))
    print(f"analytics over the last {RANGE_DAYS} days, interval day, zones {', '.join(ZONES)}:")
    for latency in latencies:
        print(latency.line())
    print("rollup storage:")
    print("\n".join(sizes))
    return 0 if all(latency.within_budget for latency in latencies) else 1


async def seeded(settings: Settings) -> bool:
    """Whether the namespace holds a seeded account; if so, it is migrated to the latest schema."""
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f'"{settings.database_schema}".links'):
            return False
        await migrate(conn, schema=settings.database_schema)
        # The last rows seeding fills: without them the seeding was cut short, and starts again.
        return bool(
            await conn.fetchval("SELECT EXISTS (SELECT FROM owner_click_days WHERE visitor_sketch IS NOT NULL)")
        )
    finally:
        await conn.close()


async def link_codes(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        return [row["code"] for row in await conn.fetch("SELECT code FROM links ORDER BY id")]
    finally:
        await conn.close()


def set_up(base_url: str) -> str:
    """The first admin of a new instance (the account the links are seeded into); its access token."""
    response = httpx.post(f"{base_url}/api/v1/instance/setup", json={"email": EMAIL, "password": PASSWORD})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def sign_in(base_url: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


if __name__ == "__main__":
    sys.exit(main())
