"""Visitor sketches under concurrency: two workers applying clicks of one account at once lose no
visitor (the sketches are read, merged and written back under the links' and owner's locks)."""

from __future__ import annotations

import asyncio

import asyncpg

from admin import analytics
from admin.analytics import Scope
from common.records import Click
from common.settings import Settings
from common.stores import Stores
from harness.clicks import xadd_batch
from tests.helpers import add_link
from tests.worker.test_worker import click, now_ms, run_burst, stream_items
from worker.apply import apply_entries
from worker.enrich import Enricher
from worker.entries import Entry, read_entry

ENTRIES = 40
CLICKS_PER_ENTRY = 3  # 2 x 40 x 3 = 240 visitors: few enough that the sketches count them exactly


async def entries_of(stores: Stores, shard: int, code: str, first_visitor: int, at_ms: int) -> list[Entry]:
    for entry in range(ENTRIES):
        visitors = range(first_visitor + entry * CLICKS_PER_ENTRY, first_visitor + (entry + 1) * CLICKS_PER_ENTRY)
        clicks: list[Click] = [click(code, ms=at_ms, ip=f"10.0.{n // 256}.{n % 256}") for n in visitors]
        await xadd_batch(stores.redis, stores.keys, shard, clicks)
    enricher = Enricher(salt_secret="s" * 16)
    items = await stream_items(stores.redis, stores.keys.clicks_stream(shard))
    return [read_entry(stream_id, fields, enricher) for stream_id, fields in items]


async def apply_one_by_one(pool: asyncpg.Pool, shard: int, entries: list[Entry]) -> None:
    """As a worker does: one transaction per entry, each moving the shard's cursor."""
    cursor = "0-0"
    async with pool.acquire() as conn:
        for entry in entries:
            applied = await apply_entries(conn, shard=shard, expected_cursor=cursor, entries=[entry])
            cursor = applied.last_id


async def test_two_workers_adding_visitors_to_one_account_at_once_lose_none(
    stores: Stores, settings: Settings, worker_pool: asyncpg.Pool
) -> None:
    owner = await stores.pool.fetchval("INSERT INTO users (email, password_hash) VALUES ('o@e.com', 'x') RETURNING id")
    one = await add_link(stores, settings, "https://example.com/1", code="one", owner_id=owner)
    two = await add_link(stores, settings, "https://example.com/2", code="two", owner_id=owner)
    await run_burst(settings, pool=worker_pool, redis=stores.redis)  # creates the cursor rows and partition
    # The same quarter hour and day: both workers add to the same account rows, from different links
    # (so the links' locks alone would not keep them apart).
    at_ms = now_ms()
    shard_zero = await entries_of(stores, 0, "one", 0, at_ms)
    shard_one = await entries_of(stores, 1, "two", ENTRIES * CLICKS_PER_ENTRY, at_ms)
    await asyncio.gather(apply_one_by_one(worker_pool, 0, shard_zero), apply_one_by_one(worker_pool, 1, shard_one))

    rng = analytics.resolve_range(start=None, end=None)
    visitors = {
        name: (await analytics.totals(stores.pool, scope, rng, include_bots=False))["visitors"]
        for name, scope in (
            ("one", Scope(link_id=one.id)),
            ("two", Scope(link_id=two.id)),
            ("account", Scope(owner_id=owner)),
        )
    }
    per_link = ENTRIES * CLICKS_PER_ENTRY
    assert visitors == {"one": per_link, "two": per_link, "account": 2 * per_link}
