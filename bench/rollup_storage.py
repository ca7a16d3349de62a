"""Rollup storage at quarter-hour grain, against the hourly grain it replaced (issue 17).

    .venv/bin/python -m bench.rollup_storage [--clicks 200000] [--links 100] [--days 30]

Puts the clicks into the click streams as the edge packs them (100 per entry, in time order) and
has a real `hop worker --burst` apply them, with a GeoIP database written for the run, into a
throwaway namespace whose links all belong to one account (so the account tables fill as they do
for users). Then prints the rows and sizes (pg_total_relation_size: heap, indexes, TOAST) of:

- the link rollups and dimension rollups: as the worker left them, and rebuilt compactly at
  quarter-hour and at hourly grain from the same rows, so that the two grains are compared on equal
  terms. An hourly row's visitor sketch is the union of its quarter hours' sketches, as the worker
  would have written it; both rebuilt grains also with their sketches' bytes, as below;
- the link and account tables per quarter hour and per UTC day as the worker left them
  (click_rollups, owner_click_rollups, click_days, owner_click_days), with the bytes of their
  visitor sketches (pg_column_size: as stored, after any compression) and their share of the table.

The clicks: links by a Pareto law (a few hot links, a long tail), time spread over the days with a
daily rhythm (busy afternoons, quiet nights), 20,000 returning visitors each at one address, about
200 user agents (bots included), a handful of referrers, and 60 cities in 20 countries, skewed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import datasketches

from bench.synthetic import REFERRERS, VERSIONED_AGENTS, add_to_streams, click_times, place_address, write_geoip
from common.db import connect_kwargs
from common.records import Click
from common.settings import Settings
from common.visitors import merged
from harness.processes import run_hop
from harness.stores import create_namespace, drop_namespace, namespaced, stores_for

VISITORS = 20_000
COUNTRIES = ("US", "DE", "IN", "GB", "FR", "BR", "NP", "CA", "AU", "JP", "NZ", "ES", "IT", "NL", "SE", "PL", "MX")
PLACES = [(country, f"City {country} {n}") for country in COUNTRIES for n in range(3)] + [("KR", ""), ("ZA", "")]
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
# Each grain's two tables, rebuilt compactly from the worker's rows (LIKE ... INCLUDING ALL: the
# same primary key, index and CHECK), so bloat from the worker's upserts does not count. The hourly
# rollups get their rows from Python (hourly_rows): Postgres cannot union sketches.
REBUILD = """
CREATE TABLE {grain}_rollups (LIKE click_rollups INCLUDING ALL);
CREATE TABLE {grain}_dimension_rollups (LIKE click_dimension_rollups INCLUDING ALL);
INSERT INTO {grain}_dimension_rollups
SELECT link_id, dimension, date_bin('{width}', bucket, {origin}), is_bot, value, sum(clicks)
FROM click_dimension_rollups GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
"""
COPY_QUARTERS = """
INSERT INTO quarter_rollups (link_id, bucket, is_bot, clicks, visitor_sketch, owner_id)
SELECT link_id, bucket, is_bot, clicks, visitor_sketch, owner_id FROM click_rollups ORDER BY 1, 2, 3
"""
HOURS = f"""
SELECT link_id, date_bin('1 hour', bucket, {ORIGIN}), is_bot, sum(clicks)::bigint, array_agg(visitor_sketch),
       owner_id
FROM click_rollups GROUP BY 1, 2, 3, 6 ORDER BY 1, 2, 3
"""
TABLES = {
    "as written by the worker": ("click_rollups", "click_dimension_rollups"),
    "quarter hour, rebuilt": ("quarter_rollups", "quarter_dimension_rollups"),
    "hour, rebuilt": ("hourly_rollups", "hourly_dimension_rollups"),
}
# The tables holding visitor sketches, as the worker left them.
SKETCH_TABLES = ("click_rollups", "owner_click_rollups", "owner_click_hours", "click_days", "owner_click_days")


def realistic_clicks(args: argparse.Namespace, end: datetime) -> list[Click]:
    rng = random.Random(17)
    # Each visitor at one address in one place, the places skewed (a few big cities, a long tail).
    places = [min(int(rng.paretovariate(1.0)) - 1, len(PLACES) - 1) for _ in range(VISITORS)]
    ips = [place_address(place, rng) for place in places]
    clicks: list[Click] = []
    for at in click_times(rng, args.clicks, end - timedelta(days=args.days), end):
        link = min(int(rng.paretovariate(1.2)) - 1, args.links - 1)
        visitor = ips[min(int(rng.paretovariate(1.1)) * 7 + rng.randrange(7), VISITORS - 1)]
        clicks.append(
            (int(at.timestamp() * 1000), f"s{link}", visitor, rng.choice(VERSIONED_AGENTS), rng.choice(REFERRERS), "")
        )
    return clicks


async def seed(args: argparse.Namespace, settings: Settings) -> None:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        # Users' links have an owner, and the worker then writes the account tables too: leaving
        # them out would measure less than a deployment stores.
        owner = await conn.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ('bench@example.com', 'x') RETURNING id"
        )
        await conn.executemany(
            "INSERT INTO links (code, target_url, owner_id) VALUES ($1, $2, $3)",
            [(f"s{n}", f"https://example.com/{n}", owner) for n in range(args.links)],
        )
    finally:
        await conn.close()
    # Midnight, so that a run on the same day lays the same clicks on the same quarter hours.
    clicks = realistic_clicks(args, datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
    await add_to_streams(settings, clicks, "storage")


def hourly_rows(quarters: list[asyncpg.Record]) -> list[tuple[object, ...]]:
    """Each hour's row with the union of its quarter hours' sketches (a quarter with none adds none)."""
    rows: list[tuple[object, ...]] = []
    for link_id, hour, is_bot, clicks, blobs, owner_id in quarters:
        sketches = [datasketches.hll_sketch.deserialize(blob) for blob in blobs if blob is not None]
        rows.append((link_id, hour, is_bot, clicks, merged(None, *sketches) if sketches else None, owner_id))
    return rows


async def rebuild(conn: asyncpg.Connection) -> None:
    for grain, width in (("quarter", "15 minutes"), ("hourly", "1 hour")):
        await conn.execute(REBUILD.format(grain=grain, width=width, origin=ORIGIN))
    await conn.execute(COPY_QUARTERS)
    await conn.copy_records_to_table("hourly_rollups", records=hourly_rows(await conn.fetch(HOURS)))


async def table_size(conn: asyncpg.Connection, table: str) -> tuple[int, int]:
    """Rows and pg_total_relation_size of ``table``."""
    rows = await conn.fetchval(f"SELECT count(*) FROM {table}")
    return rows, await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table)


async def sketch_line(conn: asyncpg.Connection, table: str) -> str:
    rows, size = await table_size(conn, table)
    if not rows:
        return f"  {table:<21} empty ({size / 2**20:.1f} MiB)"
    sketches = await conn.fetchval(f"SELECT coalesce(sum(pg_column_size(visitor_sketch)), 0) FROM {table}")
    return (
        f"  {table:<21} {rows:>9,} rows {size / 2**20:7.1f} MiB, of which sketches {sketches / 2**20:7.1f} MiB"
        f" ({sketches / size:4.0%}, {sketches / rows:5.0f} B a row)"
    )


async def measure(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await rebuild(conn)
        for table in {table for tables in TABLES.values() for table in tables} | set(SKETCH_TABLES):
            await conn.execute(f"VACUUM ANALYZE {table}")
        clicks = await conn.fetchval("SELECT count(*) FROM clicks")
        raw = await conn.fetchval(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'clicks'::regclass"
        )
        lines = [
            f"{clicks:,} clicks applied (raw clicks table {raw / 2**20:.1f} MiB); "
            "pg_total_relation_size (heap + indexes + TOAST) after VACUUM ANALYZE:"
        ]
        for label, tables in TABLES.items():
            cells = []
            for table in tables:
                rows, size = await table_size(conn, table)
                cells.append(f"{rows:>9,} rows {size / 2**20:7.1f} MiB")
            lines.append(f"  {label:<26} rollups {cells[0]}   dimension rollups {cells[1]}")
        lines.append("Visitor sketches (sum of pg_column_size) in the tables as the worker left them:")
        lines += [await sketch_line(conn, table) for table in SKETCH_TABLES]
        lines.append("Visitor sketches in the rebuilt rollups:")
        lines += [await sketch_line(conn, table) for table in ("quarter_rollups", "hourly_rollups")]
        return lines
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="hop-rollup-storage-"))
    with stores_for("HOP_BENCH", scratch) as urls:
        geoip = write_geoip(scratch / "city.mmdb", PLACES)
        settings = namespaced(urls, log_level="WARNING", worker_metrics_port=0, geoip_db=geoip)
        asyncio.run(create_namespace(settings))
        try:
            asyncio.run(seed(args, settings))
            done = run_hop(settings, "worker", "--burst", timeout=3_600)
            lines = asyncio.run(measure(settings)) if done.returncode == 0 else []
        finally:
            asyncio.run(drop_namespace(settings))
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
