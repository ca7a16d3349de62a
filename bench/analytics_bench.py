"""Analytics latency and rollup storage at a size: 10 million clicks over 1,000 links and a year.

    .venv/bin/python -m bench.analytics_bench [--clicks 10000000] [--links 1000] [--days 365] [--requests 100]
                                              [--visitors 2000000] [--keep TAG] [--parts]

Seeds one account's links and ``--clicks`` clicks on them over ``--days`` days up to now, through
the click streams and a real `hop worker`, so the rollups are what the worker writes, as it leaves
them (bench/synthetic.py's traffic: links skewed, a daily rhythm, visitors drawn skewed from
``--visitors``, each at one address with one browser, about 14 % of them bots, 3,600 cities in 18
countries, a few referrers). Then a real `hop admin` answers ``--requests`` calls of each endpoint
for the last 30 days, in time zones with whole- and part-hour offsets, and the script prints
p50/p95/max latency next to the 50 ms p95 budget, and the rollup tables' rows and sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from admin import analytics
from admin.analytics import Dimension, Scope, TimeRange
from admin.app import ADMIN_SESSION_SETTINGS
from bench.synthetic import VERSIONED_AGENTS, add_to_streams, click_times, place_address, write_geoip
from common.db import connect_kwargs, open_pool
from common.migrate import migrate
from common.records import Click
from common.settings import Settings
from harness.processes import Process, start_admin, start_worker
from harness.stores import create_namespace, drop_namespace, namespaced, run_sync, stores_for

BUDGET_P95_MS = 50.0
EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns")
RANGE_DAYS = 30

# The account's traffic (bench/synthetic.py): links skewed towards the first (a few hot, a long
# tail), visitors each at one address and with one browser, skewed over --visitors, their places
# over 18 countries with 200 cities each plus addresses no GeoIP record knows, a few referrers.
COUNTRIES = ("US", "DE", "IN", "GB", "FR", "BR", "NP", "CA", "AU", "JP", "NZ", "ES", "IT", "NL", "SE", "PL", "MX", "KR")
CITIES_PER_COUNTRY = 200
PLACES = [(country, f"City {n}") for country in COUNTRIES for n in range(CITIES_PER_COUNTRY)]
UNPLACED = len(PLACES)  # an address outside every network of the run's GeoIP database
REFERRERS = (
    "",
    "https://www.google.com/",
    "https://t.co/x",
    "https://www.facebook.com/",
    "https://news.ycombinator.com/item?id=1",
    "https://www.reddit.com/r/x/",
    "https://www.linkedin.com/feed/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://mail.example/",
)
CHUNK_DAYS = 7  # the streams hold a week of clicks at a time while the worker applies them
BACKLOG = 2_000_000  # clicks added to the streams and not yet applied, at most
TABLES = (
    "click_rollups",
    "click_weeks",
    "click_dimension_rollups",
    "owner_click_rollups",
    "owner_click_hours",
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

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]

    @property
    def within_budget(self) -> bool:
        return self.p95 <= BUDGET_P95_MS

    def line(self, *, budget: bool = True) -> str:
        verdict = f"; budget p95 {BUDGET_P95_MS:.0f} ms: {'PASS' if self.within_budget else 'FAIL'}" if budget else ""
        return (
            f"  {self.endpoint:<34} p50 {statistics.median(self.samples_ms):7.1f} ms   p95 {self.p95:7.1f} ms   "
            f"max {max(self.samples_ms):7.1f} ms   ({len(self.samples_ms)} calls{verdict})"
        )


class Traffic:
    """The account's visitors, and their clicks on its links over a stretch of days."""

    def __init__(self, rng: random.Random, codes: list[str], visitors: int) -> None:
        self.rng = rng
        self.codes = codes
        self.visitors = [(place_address(self.place(), rng), rng.choice(VERSIONED_AGENTS)) for _ in range(visitors)]

    def place(self) -> int:
        country = int((len(COUNTRIES) + 1) * self.rng.random() ** 2)
        if country == len(COUNTRIES):
            return UNPLACED
        return country * CITIES_PER_COUNTRY + int(CITIES_PER_COUNTRY * self.rng.random() ** 3)

    def clicks(self, count: int, start: datetime, end: datetime) -> list[Click]:
        rng, codes, visitors = self.rng, self.codes, self.visitors
        clicks: list[Click] = []
        for at in click_times(rng, count, start, end):
            ip, agent = visitors[int(len(visitors) * rng.random() ** 2)]
            referrer = REFERRERS[int(len(REFERRERS) * rng.random() ** 2)]
            code = codes[int(len(codes) * rng.random() ** 3)]
            clicks.append((int(at.timestamp() * 1000), code, ip, agent, referrer, ""))
        return clicks


async def seed(settings: Settings, owner_id: int, args: argparse.Namespace, log_path: Path) -> list[str]:
    """The account's links, and ``args.clicks`` clicks on them over ``args.days`` days up to now, put
    into the click streams a week at a time and applied by a real `hop worker`: the rollups are
    what the worker writes, as it leaves them. Returns the links' codes."""
    codes = [f"bench{index:05d}" for index in range(args.links)]
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await conn.copy_records_to_table(
            "links",
            records=[(code, f"https://example.com/{code}", owner_id) for code in codes],
            columns=["code", "target_url", "owner_id"],
        )
        started = time.perf_counter()
        traffic = Traffic(random.Random(17), codes, args.visitors)
        end = datetime.now(UTC)
        worker = start_worker(settings, log_path=log_path)
        try:
            added = 0
            for first in range(0, args.days, CHUNK_DAYS):
                days = min(CHUNK_DAYS, args.days - first)
                count = args.clicks * (first + days) // args.days - added
                chunk_start = end - timedelta(days=args.days - first)
                clicks = traffic.clicks(count, chunk_start, chunk_start + timedelta(days=days))
                await applied(conn, worker, at_least=added + count - BACKLOG)
                await add_to_streams(settings, clicks, f"seed{first}")
                added += count
            await applied(conn, worker, at_least=added)
        finally:
            worker.stop()
        # What autovacuum does to tables after millions of changes: statistics, and the visibility
        # map that lets the breakdowns' index-only scans skip the heap.
        for table in TABLES:
            await conn.execute(f"VACUUM ANALYZE {table}")
        await conn.execute("CREATE TABLE bench_seeded AS SELECT $1::bigint AS clicks", added)
        seconds = time.perf_counter() - started
        print(f"{added:,} clicks over {args.links:,} links applied by the worker in {seconds:.0f} s")
        return codes
    finally:
        await conn.close()


async def applied(conn: asyncpg.Connection, worker: Process, *, at_least: int) -> None:
    """Waits until the worker has counted ``at_least`` clicks (every click counts on its link).

    Raises:
        RuntimeError: the worker exited, or failed clicks instead of counting them.
    """
    while await conn.fetchval("SELECT coalesce(sum(click_count), 0) FROM links") < at_least:
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.process.returncode}:\n{worker.log()}")
        if await conn.fetchval("SELECT EXISTS (SELECT FROM failed_click_entries)"):
            raise RuntimeError(f"the worker failed clicks (see failed_click_entries):\n{worker.log()}")
        await asyncio.sleep(1)


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


async def time_parts(settings: Settings, owner_id: int, codes: list[str], requests: int) -> list[Latency]:
    """Each query an answer is made of, called in this process on a pool like the admin's, one at a
    time (the admin asks for them side by side): which part bounds an endpoint."""
    rng = random.Random(17)
    today = datetime.now(UTC).date()
    async with open_pool(settings, server_settings=ADMIN_SESSION_SETTINGS) as pool:
        links: dict[str, int] = {code: id_ for code, id_ in await pool.fetch("SELECT code, id FROM links")}
        parts: dict[str, Callable[[Scope, TimeRange], Awaitable[object]]] = {
            "series (day)": lambda scope, span: analytics.time_series(
                pool, scope, span, interval="day", include_bots=False
            ),
            "totals": lambda scope, span: analytics.totals(pool, scope, span, include_bots=False),
            **{f"top {dimension}": partial(_top_values, pool, dimension) for dimension in analytics.DIMENSIONS},
        }
        scopes = {"link": lambda: Scope(link_id=links[rng.choice(codes)]), "account": lambda: Scope(owner_id=owner_id)}
        results = []
        for scope_name, scope in scopes.items():
            for name, part in parts.items():
                call = partial(_in_scope, part, scope)
                results.append(await _time_calls(f"{scope_name}: {name}", requests, today, call))
        top = partial(analytics.top_links, pool, owner_id, include_bots=False)
        results.append(await _time_calls("account: top links", requests, today, top))
        return results


async def _in_scope(
    part: Callable[[Scope, TimeRange], Awaitable[object]], scope: Callable[[], Scope], span: TimeRange
) -> object:
    return await part(scope(), span)


async def _top_values(pool: asyncpg.Pool, dimension: Dimension, scope: Scope, span: TimeRange) -> object:
    return await analytics.top_values(pool, scope, span, dimension, include_bots=False)


async def _time_calls(name: str, requests: int, today: date, call: Callable[[TimeRange], Awaitable[object]]) -> Latency:
    samples = []
    for number in range(requests):
        span = analytics.resolve_range(
            start=today - timedelta(days=RANGE_DAYS - 1), end=today, tz=ZONES[number % len(ZONES)]
        )
        started = time.perf_counter()
        await call(span)
        samples.append((time.perf_counter() - started) * 1000)
    return Latency(name, samples)


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
        "latest schema and measures it again without seeding",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also time each query the answers are made of, one at a time in this process",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="hop-analytics-bench-"))
    with stores_for("HOP_BENCH", data_dir) as urls:
        geoip = write_geoip(data_dir / "city.mmdb", PLACES)
        settings = namespaced(
            urls, tag=args.keep, log_level="WARNING", admin_metrics_port=0, worker_metrics_port=0, geoip_db=geoip
        )
        kept = args.keep is not None and asyncio.run(seeded(settings))
        if not kept:
            run_sync(create_namespace(settings))
        admin = start_admin(settings, log_path=data_dir / "admin.log")
        try:
            access = sign_in(admin.url) if kept else set_up(admin.url)
            owner = httpx.get(f"{admin.url}/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).json()
            if kept:
                codes = asyncio.run(link_codes(settings))
            else:
                codes = asyncio.run(seed(settings, owner["id"], args, data_dir / "worker.log"))
            access = sign_in(admin.url)  # seeding may outlast the first token
            latencies = measure(admin.url, access, codes, args.requests)
            parts = asyncio.run(time_parts(settings, owner["id"], codes, args.requests)) if args.parts else []
            sizes = asyncio.run(storage(settings))
        finally:
            admin.stop()
            if args.keep is None:
                run_sync(drop_namespace(settings))
    print(f"analytics over the last {RANGE_DAYS} days, interval day, zones {', '.join(ZONES)}:")
    for latency in latencies:
        print(latency.line())
    if parts:
        print("each part alone, in process (the endpoints run theirs side by side):")
        for part in parts:
            print(part.line(budget=False))
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
        # Written once every click is applied: without it the seeding was cut short, and starts again.
        return bool(await conn.fetchval("SELECT to_regclass('bench_seeded') IS NOT NULL"))
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
