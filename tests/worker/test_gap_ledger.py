"""A shard whose first trim failed has no trim ledger: the next trim must not take that for Redis
losing its data, while a real loss around such a failure is still recorded as a gap."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import asyncpg
import pytest
from redis.asyncio import Redis

from common.redis import RedisClient, create_redis
from common.settings import Settings
from common.stores import Stores
from harness.clicks import xadd_batch
from harness.stores import PrivateRedis
from tests.conftest import SettingsFactory
from tests.helpers import add_link
from tests.worker.test_gaps import FLOOD, MAXLEN, flood_through_the_edge, gaps, metric
from tests.worker.test_worker import click, run_burst, stream_items
from worker.metrics import new_worker_metrics
from worker.stream_ids import after

BATCH = 50  # HOP_WORKER_BATCH_SIZE: fewer entries than this are applied in one commit


@pytest.fixture
def settings(settings_factory: SettingsFactory, private_redis: PrivateRedis) -> Settings:
    # A Valkey of the test's own: it gets a user who may not run scripts, and is restarted empty.
    return settings_factory(click_shards=1, worker_batch_size=BATCH, redis_url=private_redis.url)


@pytest.fixture
async def scriptless(settings: Settings, private_redis: PrivateRedis) -> AsyncIterator[RedisClient]:
    """A client whose EVALSHA Redis refuses, and nothing else: each trim after a commit fails before
    its script runs, as when a cluster client gives up ("TTL exhausted") during a slot migration."""
    async with Redis.from_url(private_redis.url) as admin:
        await admin.acl_setuser(
            "no-scripts",
            enabled=True,
            passwords=["+secret"],
            keys="*",
            channels="*",
            commands=["+@all", "-@scripting"],
        )
    url = private_redis.url.replace("redis://", "redis://no-scripts:secret@")
    client = create_redis(settings.model_copy(update={"redis_url": url}))
    yield client
    await client.aclose()


async def apply_with_the_trims_failing(
    settings: Settings,
    stores: Stores,
    worker_pool: asyncpg.Pool,
    scriptless: RedisClient,
    caplog: pytest.LogCaptureFixture,
) -> str:
    """Applies what shard 0 holds, every trim failing (the first of them the shard's first ever);
    returns the cursor."""
    stream = stores.keys.clicks_stream(0)
    held = await stores.redis.xlen(stream)
    with caplog.at_level(logging.WARNING, logger="hop.worker"):
        assert (await run_burst(settings, pool=worker_pool, redis=scriptless)).entries == held
    assert "trimming shard 0 failed" in caplog.text
    # What a failed first trim leaves: no ledger, and the stream as it was.
    assert await stores.redis.exists(stores.keys.clicks_trim_ledger(0)) == 0
    assert await stores.redis.xlen(stream) == held
    caplog.clear()
    cursor: str = await stores.pool.fetchval("SELECT last_id FROM stream_cursors WHERE shard = 0")
    return cursor


async def add_clicks(stores: Stores, count: int, *, redis: RedisClient | None = None) -> None:
    for n in range(count):
        await xadd_batch(redis or stores.redis, stores.keys, 0, [click("t", ref=f"https://r{n}.example/")])


async def first_after(redis: RedisClient, stores: Stores, cursor: str) -> str:
    """The ID of shard 0's first entry after ``cursor``: where applying resumes."""
    items = await stream_items(redis, stores.keys.clicks_stream(0))
    return next(entry_id.decode() for entry_id, _ in items if after(entry_id.decode(), cursor))


async def test_a_failed_first_trim_is_not_taken_for_lost_data(
    settings: Settings,
    stores: Stores,
    worker_pool: asyncpg.Pool,
    scriptless: RedisClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_link(stores, settings, "https://example.com/t", code="t")
    await add_clicks(stores, BATCH - 10)  # one commit: its trim is the shard's first, and fails
    await apply_with_the_trims_failing(settings, stores, worker_pool, scriptless, caplog)
    await add_clicks(stores, 2)

    metrics = new_worker_metrics()
    with caplog.at_level(logging.ERROR, logger="hop.worker.gaps"):
        assert (await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)).clicks == 2

    assert await gaps(stores) == []
    assert metric(metrics, "hop_worker_stream_gaps_total") == 0
    assert [r.getMessage() for r in caplog.records if r.name == "hop.worker.gaps"] == []
    # This trim caught up: the stream is trimmed, and the ledger written at the cursor, so the
    # trims after it count as usual.
    cursor = await stores.pool.fetchval("SELECT last_id FROM stream_cursors WHERE shard = 0")
    assert await stores.redis.xlen(stores.keys.clicks_stream(0)) == 0
    ledger = await stores.redis.hgetall(stores.keys.clicks_trim_ledger(0))
    assert ledger == {b"id": cursor.encode(), b"removed": str(BATCH - 10 + 2).encode()}
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 't'") == BATCH - 10 + 2


async def test_redis_losing_its_data_after_a_failed_first_trim_is_still_a_gap(
    settings: Settings,
    stores: Stores,
    worker_pool: asyncpg.Pool,
    scriptless: RedisClient,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_link(stores, settings, "https://example.com/t", code="t")
    await add_clicks(stores, BATCH - 10)
    cursor = await apply_with_the_trims_failing(settings, stores, worker_pool, scriptless, caplog)
    await add_clicks(stores, 1)  # never applied: it goes with the data
    # Crashed and restarted without persistence: it comes back empty.
    private_redis.kill()
    private_redis.start()
    restarted = create_redis(settings)  # the connections of stores.redis went with the server
    try:
        await add_clicks(stores, 2, redis=restarted)
        resumed_at = await first_after(restarted, stores, cursor)
        metrics = new_worker_metrics()
        assert (await run_burst(settings, pool=worker_pool, redis=restarted, metrics=metrics)).clicks == 2
    finally:
        await restarted.aclose()

    assert await gaps(stores) == [{"shard": 0, "after_id": cursor, "resumed_at": resumed_at, "lost_entries": None}]
    assert metric(metrics, "hop_worker_stream_gaps_total") == 1
    assert metric(metrics, "hop_worker_stream_entries_lost_total") == 0


@pytest.mark.parametrize("flood", ["before the failed trim", "after it"])
async def test_entries_trimmed_by_the_cap_around_a_failed_first_trim_are_still_a_gap(
    flood: str,
    settings: Settings,
    stores: Stores,
    worker_pool: asyncpg.Pool,
    scriptless: RedisClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Before: entries the failed first trim would have counted (the stream still holds the cursor's
    # entry). After: entries past the cursor (it does not).
    await add_link(stores, settings, "https://example.com/t", code="t")
    clicks = [click("t", ref=f"https://flood{n}.example/") for n in range(FLOOD)]
    if flood == "before the failed trim":
        await flood_through_the_edge(stores, clicks)
        cursor = await apply_with_the_trims_failing(settings, stores, worker_pool, scriptless, caplog)
        await add_clicks(stores, 2)
    else:
        await add_clicks(stores, BATCH - 10)
        cursor = await apply_with_the_trims_failing(settings, stores, worker_pool, scriptless, caplog)
        await flood_through_the_edge(stores, clicks)
    stream = stores.keys.clicks_stream(0)
    assert await stores.redis.xlen(stream) < FLOOD  # the cap took some, unapplied
    resumed_at = await first_after(stores.redis, stores, cursor)
    if flood == "after it":
        assert MAXLEN <= await stores.redis.xlen(stream)

    metrics = new_worker_metrics()
    await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)

    # With no ledger, how many went is unknown; that some did is not.
    assert await gaps(stores) == [{"shard": 0, "after_id": cursor, "resumed_at": resumed_at, "lost_entries": None}]
    assert metric(metrics, "hop_worker_stream_gaps_total") == 1
