"""Bounded click streams: entries trimmed (or lost with Redis' data) before the worker applied them
are recorded as gaps (log, metrics, click_stream_gaps), and what remains is applied exactly once."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import pytest

from common.metrics import sample_value
from common.records import Click
from common.settings import Settings
from common.stores import Stores
from edge.clicks import ClickBuffer
from harness.clicks import xadd_batch
from tests.conftest import SettingsFactory
from tests.helpers import add_link
from tests.worker.test_worker import click, run_burst, stream_items
from worker.metrics import WorkerMetrics, new_worker_metrics

FLOOD = 1_000
MAXLEN = 100


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    # One shard, small reads: the flood is applied over several transactions (one check each).
    return settings_factory(click_shards=1, worker_batch_size=50)


async def flood_through_the_edge(stores: Stores, clicks: list[Click]) -> None:
    """XADD one entry per click through the edge's own buffer, capped as the edge caps it."""
    buffer = ClickBuffer(
        redis=stores.redis, keys=stores.keys, shards=1, flush_interval=0.001, flush_size=1, limit=10**6, maxlen=MAXLEN
    )
    for item in clicks:
        buffer.add(item)
    assert await buffer.flush()


async def gaps(stores: Stores) -> list[dict[str, Any]]:
    rows = await stores.pool.fetch(
        "SELECT shard, after_id, resumed_at, lost_entries FROM click_stream_gaps ORDER BY id"
    )
    return [dict(row) for row in rows]


def metric(metrics: WorkerMetrics, name: str) -> float:
    return sample_value(metrics.render().decode(), name, [("shard", "0")])


async def applied_refs(stores: Stores) -> list[str]:
    return [row["r"] for row in await stores.pool.fetch("SELECT referrer_host AS r FROM clicks ORDER BY 1")]


async def test_a_flood_past_maxlen_with_no_worker_is_recorded_and_the_rest_applied_once(
    settings: Settings, stores: Stores, worker_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    await add_link(stores, settings, "https://example.com/f", code="f")
    await flood_through_the_edge(stores, [click("f", ref=f"https://r{n}.example/") for n in range(FLOOD)])
    stream = stores.keys.clicks_stream(0)
    kept = await stores.redis.xlen(stream)
    assert MAXLEN <= kept < FLOOD  # MAXLEN ~ trims whole nodes: about MAXLEN are left
    first_kept = (await stream_items(stores.redis, stream))[0][0].decode()

    metrics = new_worker_metrics()
    with caplog.at_level(logging.ERROR, logger="hop.worker.gaps"):
        stats = await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)

    lost = FLOOD - kept
    assert await gaps(stores) == [{"shard": 0, "after_id": "0-0", "resumed_at": first_kept, "lost_entries": lost}]
    assert metric(metrics, "hop_worker_stream_gaps_total") == 1
    assert metric(metrics, "hop_worker_stream_entries_lost_total") == FLOOD - kept
    assert any(f"{FLOOD - kept} entries after 0-0 were trimmed" in r.getMessage() for r in caplog.records)
    # What the stream kept is applied, each click once: the newest `kept` of the flood.
    assert stats.clicks == kept
    refs = await applied_refs(stores)
    assert sorted(refs) == sorted({f"r{n}.example" for n in range(FLOOD - kept, FLOOD)})
    assert await stores.pool.fetchval("SELECT click_count FROM links WHERE code = 'f'") == kept


async def test_entries_trimmed_after_the_cursor_are_counted_exactly(
    settings: Settings, stores: Stores, worker_pool: asyncpg.Pool
) -> None:
    await add_link(stores, settings, "https://example.com/g", code="g")
    for n in range(120):  # applied normally: several transactions, no gap
        await xadd_batch(stores.redis, stores.keys, 0, [click("g", ref=f"https://early{n}.example/")])
    assert (await run_burst(settings, pool=worker_pool, redis=stores.redis)).clicks == 120
    assert await gaps(stores) == []
    cursor = await stores.pool.fetchval("SELECT last_id FROM stream_cursors WHERE shard = 0")

    await flood_through_the_edge(stores, [click("g", ref=f"https://late{n}.example/") for n in range(FLOOD)])
    kept = await stores.redis.xlen(stores.keys.clicks_stream(0))
    metrics = new_worker_metrics()
    assert (await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)).clicks == kept

    (gap,) = await gaps(stores)
    assert (gap["after_id"], gap["lost_entries"]) == (cursor, FLOOD - kept)
    assert metric(metrics, "hop_worker_stream_entries_lost_total") == FLOOD - kept
    assert await stores.pool.fetchval("SELECT count(*) FROM clicks") == 120 + kept


async def test_a_stream_lost_with_redis_data_is_recorded_with_an_unknown_count(
    settings: Settings, stores: Stores, worker_pool: asyncpg.Pool
) -> None:
    await add_link(stores, settings, "https://example.com/h", code="h")
    await xadd_batch(stores.redis, stores.keys, 0, [click("h")])
    assert (await run_burst(settings, pool=worker_pool, redis=stores.redis)).clicks == 1
    cursor = await stores.pool.fetchval("SELECT last_id FROM stream_cursors WHERE shard = 0")
    # Redis restarted without persistence: the unapplied entry, the stream and the ledger are gone.
    await xadd_batch(stores.redis, stores.keys, 0, [click("h")])
    await stores.redis.delete(stores.keys.clicks_stream(0), stores.keys.clicks_trim_ledger(0))
    await xadd_batch(stores.redis, stores.keys, 0, [click("h"), click("h")])

    metrics = new_worker_metrics()
    assert (await run_burst(settings, pool=worker_pool, redis=stores.redis, metrics=metrics)).clicks == 2
    (gap,) = await gaps(stores)
    assert (gap["after_id"], gap["lost_entries"]) == (cursor, None)
    assert metric(metrics, "hop_worker_stream_gaps_total") == 1
    assert metric(metrics, "hop_worker_stream_entries_lost_total") == 0
