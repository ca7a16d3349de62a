"""Shard leases: advisory locks shared out fairly, and taken over when a holder goes away."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from common.db import connect_kwargs
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.clicks import batch_id, stream_entry
from harness.stores import StoreUrls, run_sync
from tests.conftest import SettingsFactory
from tests.helpers import wait_until_async
from tests.worker.test_worker import click
from worker import Worker
from worker.metrics import new_worker_metrics
from worker.shards import ShardLeases
from worker.stream_ids import after
from worker.worker import REBALANCE_EVERY_S


def leases(settings: Settings) -> ShardLeases:
    return ShardLeases(connect_kwargs=connect_kwargs(settings), schema=settings.database_schema, shards=4)


async def test_two_workers_split_the_shards_and_one_takes_over_when_the_other_dies(settings: Settings) -> None:
    first, second = leases(settings), leases(settings)
    try:
        assert await first.rebalance(live_workers=1) == {0, 1, 2, 3}
        # A second worker appears: the first gives back what exceeds its fair share...
        assert await second.rebalance(live_workers=2) == set()
        assert await first.rebalance(live_workers=2) == {0, 1}
        # ...and the second takes it (the first holds off retaking it for a few seconds).
        assert await second.rebalance(live_workers=2) == {2, 3}
        assert await first.rebalance(live_workers=2) == {0, 1}
        # Membership is counted from the locks themselves.
        assert await first._live_workers(await first._connection()) == 2
        # The second dies (its connection closes): its locks are free at once, and the first
        # takes them as soon as its hold-off on shards it gave away has passed.
        await second.close()
        assert await first._live_workers(await first._connection()) == 1
        first._released.clear()
        assert await first.rebalance() == {0, 1, 2, 3}
    finally:
        await first.close()
        await second.close()


async def test_locks_are_per_schema(settings: Settings, settings_factory: SettingsFactory) -> None:
    other = settings_factory()
    mine, theirs = leases(settings), leases(other)
    try:
        assert await mine.rebalance(live_workers=1) == {0, 1, 2, 3}
        assert await theirs.rebalance(live_workers=1) == {0, 1, 2, 3}
    finally:
        await mine.close()
        await theirs.close()


# A second database on the tests' Postgres server. Created once and kept (it holds nothing between
# tests): DROP DATABASE waits for a checkpoint, which can take many seconds on a busy server.
SECOND_DATABASE = "hop_test_second"


@pytest.fixture(scope="session")
def other_database(store_urls: StoreUrls) -> str:
    """The URL of the second database."""
    # Test processes running side by side (pytest -n) may create it at once: the loser of that race
    # fails on pg_database's unique index instead, once the winner has committed it.
    with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
        run_sync(_execute(store_urls.database_url, f'CREATE DATABASE "{SECOND_DATABASE}"'))
    return urlunsplit(urlsplit(store_urls.database_url)._replace(path=f"/{SECOND_DATABASE}"))


@pytest.fixture
def other_hop(settings_factory: SettingsFactory, settings: Settings, other_database: str) -> Iterator[Settings]:
    """Another Hop in the second database: the same schema name as ``settings``, its own key prefix."""
    other = settings_factory(database_url=other_database, database_schema=settings.database_schema)
    yield other
    # The factory drops schemas in the first database only.
    run_sync(_execute(other_database, f'DROP SCHEMA IF EXISTS "{other.database_schema}" CASCADE'))


async def _execute(database_url: str, statement: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def test_workers_of_another_database_on_the_server_leave_the_share_whole(
    settings: Settings, other_hop: Settings
) -> None:
    # Another Hop on the same server: same schema name, so the same lock keys, in another database.
    mine, theirs = leases(settings), leases(other_hop)
    try:
        assert await mine.rebalance() == {0, 1, 2, 3}
        assert await theirs.rebalance() == {0, 1, 2, 3}
        assert await mine.rebalance() == {0, 1, 2, 3}
        assert await mine._live_workers(await mine._connection()) == 1
    finally:
        await mine.close()
        await theirs.close()


async def test_two_hops_on_one_server_each_apply_every_shard(settings: Settings, other_hop: Settings) -> None:
    mine, theirs = settings, other_hop
    workers = [Worker(s, metrics=new_worker_metrics()) for s in (mine, theirs)]
    runs = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        async with open_stores(mine) as my_stores, open_stores(theirs) as their_stores:
            # Every round, each shard of both gets a click that must be applied; the rounds span
            # several rebalances, where a worker counting the other Hop's worker gave shards away.
            started = time.monotonic()
            while time.monotonic() - started < 3 * REBALANCE_EVERY_S:
                for stores in (my_stores, their_stores):
                    await _every_shard_applies(stores, mine.click_shards)
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*runs)


async def _every_shard_applies(stores: Stores, shards: int) -> None:
    added = {}
    for shard in range(shards):
        entry_id = await stores.redis.xadd(stores.keys.clicks_stream(shard), stream_entry([click("x")], batch_id()))
        added[shard] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    async def behind() -> list[int]:
        rows = await stores.pool.fetch("SELECT shard, last_id FROM stream_cursors")
        cursors = {row["shard"]: row["last_id"] for row in rows}
        return [shard for shard, entry in added.items() if shard not in cursors or after(entry, cursors[shard])]

    await wait_until_async(behind, lambda late: not late, timeout=5.0, what="every shard applied")
