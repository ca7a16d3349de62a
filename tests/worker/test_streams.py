"""Shard reads on a real Redis Cluster: a worker blocked reading a stream whose slot migrates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import pytest

from common.redis import StreamEntries
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.clicks import xadd_batch
from harness.cluster import ClusterNodeProcess, LocalCluster
from tests.conftest import ClusterFactory, SettingsFactory
from tests.helpers import add_link, wait_until_async
from tests.worker.test_worker import click
from worker import Worker, open_worker_pool
from worker.metrics import new_worker_metrics

# Far longer than the test may wait: a read that stayed blocked at the old owner would time the test out.
BLOCK_MS = 60_000


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Worker]:
    """An in-process worker (with its own cluster client) until the block ends."""
    async with open_worker_pool(settings) as pool:
        worker = Worker(settings, pool=pool, metrics=new_worker_metrics())
        task = asyncio.create_task(worker.run())
        try:
            yield worker
        finally:
            # Its read blocks for BLOCK_MS: cancel it rather than wait for the loop to see stop().
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def clicks_of(stores: Stores, code: str) -> int:
    count = await stores.pool.fetchval("SELECT click_count FROM links WHERE code = $1", code)
    return int(count)


async def applied(stores: Stores, code: str, count: int) -> None:
    await wait_until_async(lambda: clicks_of(stores, code), lambda n: n == count, what=f"{count} clicks applied")


async def blocked_reading(node: ClusterNodeProcess) -> None:
    """Until the worker's XREAD is blocked on ``node`` (CLIENT LIST: its client, flag b, command xread)."""

    async def reads() -> list[dict[str, str]]:
        listing = await asyncio.to_thread(node.command, "CLIENT", "LIST")
        lines = (listing.decode() if isinstance(listing, bytes) else str(listing)).splitlines()
        clients = [dict(field.split("=", 1) for field in line.split()) for line in lines]
        return [client for client in clients if client["name"] == "hop-worker" and client["cmd"] == "xread"]

    await wait_until_async(
        reads, lambda found: any("b" in client["flags"] for client in found), what=f"an XREAD blocked on {node.url}"
    )


@pytest.mark.e2e
async def test_a_read_blocked_on_a_migrating_slot_follows_it_to_its_new_owner(
    settings_factory: SettingsFactory, cluster_factory: ClusterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hop.worker.streams")
    cluster: LocalCluster = cluster_factory()
    settings = settings_factory(redis_url=cluster.url, redis_cluster=True, click_shards=1, worker_block_ms=BLOCK_MS)
    async with open_stores(settings) as stores, running(settings):
        code = (await add_link(stores, settings, "https://example.com/moving")).code
        stream = stores.keys.clicks_stream(0)
        await xadd_batch(stores.redis, stores.keys, 0, [click(code)])
        [(first_id, _)] = cast(StreamEntries, await stores.redis.xrange(stream))
        await applied(stores, code, 1)
        # The trim after that commit wrote the ledger: the migration below moves both keys, not a trim's race.
        await wait_until_async(lambda: stores.redis.exists(stores.keys.clicks_trim_ledger(0)), what="the trim ledger")
        slot = cluster.slot_of(stream)
        source = cluster.owner_of(slot)
        target = next(node for node in cluster.primaries() if node is not source)
        await blocked_reading(source)

        # The stream (and its trim ledger) moves while the read waits at the source: a click added
        # now lands on the target (ASK), where the blocked read cannot see it.
        await asyncio.to_thread(cluster.begin_migration, slot, target)
        assert await asyncio.to_thread(cluster.move_keys, slot, target) == 2
        await xadd_batch(stores.redis, stores.keys, 0, [click(code)])
        # Handing the slot over answers the blocked read MOVED; it is asked again at the target.
        await asyncio.to_thread(cluster.finish_migration, slot, target)
        await xadd_batch(stores.redis, stores.keys, 0, [click(code)])
        await applied(stores, code, 3)

    # The read that was blocked at the source, from the first click on, went on at the target.
    assert [record.getMessage() for record in caplog.records if record.name == "hop.worker.streams"] == [
        f"click shard 0 is read from 127.0.0.1:{source.port}, at 0-0",
        f"click shard 0 is read from 127.0.0.1:{target.port}, at {first_id.decode()}",
    ]
