"""Several edges and workers on one Redis and one Postgres, as real processes: a link change reaches
every edge within a second, a killed worker's shards are taken over within TAKEOVER_S, and every
click is counted once (docs/architecture.md, "Running several")."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import httpx
import pytest

from admin.links import update_link
from common.stores import open_stores
from harness.processes import Process
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, held_shards, wait_until_async, wait_until_in_loop
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e

EDGES = 3
WORKERS = 3
SHARDS = 6
CLICKS = 12_000
# A SIGKILLed worker's shard locks go when Postgres sees its connection close; the others look for
# free shards every 2 s (worker.worker.REBALANCE_EVERY_S). The promise in the docs, with a margin.
TAKEOVER_S = 5.0
NEW_TARGET = "https://example.org/moved"


async def location_changes(edge: Process, code: str, started: float) -> float:
    """Seconds from ``started`` until ``edge`` redirects ``code`` to NEW_TARGET."""
    async with httpx.AsyncClient(base_url=edge.url) as http:
        await wait_until_async(
            lambda: http.get(f"/{code}"),
            lambda response: response.headers.get("location") == NEW_TARGET,
            timeout=5.0,
            interval=0.01,
            what=f"{edge.url} redirecting to the new target",
        )
    return time.monotonic() - started


async def test_a_link_change_reaches_every_edge_within_a_second(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    # A long cache TTL: only the invalidation message can make the edges drop the cached target in time.
    settings = settings_factory(cache_ttl=300.0)
    async with open_stores(settings) as stores:
        link = await add_link(stores, settings, "https://example.com/first", code="moving")
        edges = [edge_factory(settings) for _ in range(EDGES)]
        for edge in edges:
            assert await send_requests(edge.url, [f"/{link.code}"] * 20, concurrency=4) == {302: 20}

        await update_link(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            code=link.code,
            changes={"target_url": NEW_TARGET},
            principal=None,
        )
        started = time.monotonic()
        delays = await asyncio.gather(*(location_changes(edge, link.code, started) for edge in edges))

    assert max(delays) < 1.0, delays


async def test_workers_share_the_shards_take_over_a_killed_ones_and_count_every_click_once(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> None:
    settings = settings_factory(click_shards=SHARDS, worker_batch_size=50)
    async with open_stores(settings) as stores:
        codes = [(await add_link(stores, settings, f"https://example.com/{n}", code=f"s{n}")).code for n in range(100)]
        edges = [edge_factory(settings) for _ in range(EDGES)]
        workers = [worker_factory(settings) for _ in range(WORKERS)]
        await wait_until_in_loop(
            lambda: [held_shards(worker) for worker in workers],
            lambda held: [len(shards) for shards in held] == [SHARDS // WORKERS] * WORKERS,
            what="each worker holding a fair share of the shards",
        )
        rng = random.Random(14)
        paths = [f"/{rng.choice(codes)}" for _ in range(CLICKS)]
        traffic = asyncio.gather(
            *(send_requests(edge.url, paths[index::EDGES], concurrency=24) for index, edge in enumerate(edges))
        )

        await wait_until_async(
            lambda: stores.pool.fetchval("SELECT coalesce(sum(click_count), 0) FROM links"),
            lambda applied: applied >= CLICKS // 4,
            what="a quarter of the clicks applied",
        )
        victim, *survivors = workers
        orphaned = held_shards(victim)
        await asyncio.to_thread(victim.kill)
        killed_at = time.monotonic()
        await wait_until_in_loop(
            lambda: set().union(*(held_shards(worker) for worker in survivors)),
            lambda held: held >= orphaned,
            timeout=TAKEOVER_S,
            what=f"the survivors taking over shards {sorted(orphaned)}",
        )
        takeover = time.monotonic() - killed_at
        statuses = sum(await traffic, Counter[int]())

        counted = await wait_until_async(
            lambda: stores.pool.fetch("SELECT code, click_count FROM links"),
            lambda rows: sum(row["click_count"] for row in rows) >= CLICKS,
            timeout=60,
            what="every click applied",
        )
        for worker in survivors:
            assert worker.terminate() == 0
        duplicates = await stores.pool.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM clicks GROUP BY shard, stream_id, position HAVING count(*) > 1) d"
        )

    print(f"scale-out: shards {sorted(orphaned)} taken over {takeover:.2f} s after the SIGKILL")
    assert statuses == {302: CLICKS}
    expected = Counter(path[1:] for path in paths)
    assert {row["code"]: row["click_count"] for row in counted} == {code: expected[code] for code in codes}
    assert duplicates == 0
