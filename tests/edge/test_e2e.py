"""The edge as it runs in production: real Granian processes, real Redis and Postgres."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import httpx
import pytest
import redis

from common.metrics import sample_value
from common.redis import redis_url
from common.settings import Settings
from common.stores import open_stores
from harness.clicks import clicks_by_code
from harness.processes import STARTUP_TIMEOUT_S, run_hop
from harness.stores import PrivateRedis
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until_async, wait_until_in_loop
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e


async def seed_links(settings: Settings, count: int, prefix: str = "c") -> list[str]:
    async with open_stores(settings) as stores:
        codes = [f"{prefix}{n}" for n in range(count)]
        for code in codes:
            await add_link(stores, settings, f"https://example.com/{code}", code=code)
    return codes


async def wait_for_click_total(settings: Settings, expected: int, timeout: float = 15.0) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while True:
        counts = clicks_by_code(settings)
        if counts.total() >= expected or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.1)


async def test_ten_thousand_concurrent_redirects_give_exactly_ten_thousand_clicks(
    settings: Settings, edge_factory: ProcessFactory
) -> None:
    codes = await seed_links(settings, 200)
    rng = random.Random(7)
    paths = [f"/{rng.choice(codes)}" for _ in range(10_000)]
    edge = edge_factory(settings, workers=2)

    statuses = await send_requests(edge.url, paths, concurrency=250)

    assert statuses == {302: 10_000}
    expected = Counter(path[1:] for path in paths)
    assert await wait_for_click_total(settings, 10_000) == expected
    assert edge.terminate() == 0
    assert clicks_by_code(settings) == expected  # shutdown flushed nothing twice


async def test_sigterm_right_after_a_burst_flushes_every_buffered_click(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    # A long flush interval keeps the burst in memory until SIGTERM: only the shutdown flush can save it.
    settings = settings_factory(click_flush_interval=5.0, metrics_interval=0.05)
    codes = await seed_links(settings, 20)
    paths = [f"/{codes[n % len(codes)]}" for n in range(3_000)]
    edge = edge_factory(settings, workers=2, metrics=True)
    metrics_url = edge.metrics_url
    assert metrics_url is not None
    await send_requests(edge.url, paths[:1], concurrency=1)
    # The first click is in a buffer and not in a stream: its flush is waiting out the 5 s interval.
    metrics = await wait_until_in_loop(
        lambda: httpx.get(f"{metrics_url}/metrics", timeout=5).text,
        lambda text: sample_value(text, "hop_edge_clicks_buffered_total") >= 1,
        what="the first click in an edge's buffer",
    )
    assert sample_value(metrics, "hop_edge_clicks_flushed_total") == 0
    assert clicks_by_code(settings).total() == 0

    statuses = await send_requests(edge.url, paths[1:], concurrency=100)
    assert clicks_by_code(settings).total() < len(paths)
    assert edge.terminate() == 0

    assert statuses == {302: len(paths) - 1}
    assert clicks_by_code(settings) == Counter(path[1:] for path in paths)


async def test_link_rm_stops_both_edge_workers_within_one_second(
    settings: Settings, edge_factory: ProcessFactory
) -> None:
    # A long cache TTL: only the invalidation message can make the edges forget the link in time.
    (code,) = await seed_links(settings, 1, prefix="gone")
    edge = edge_factory(settings.model_copy(update={"cache_ttl": 300.0}), workers=2)
    warm = await send_requests(edge.url, [f"/{code}"] * 400, concurrency=40)
    assert warm == {302: 400}

    removed = run_hop(settings, "link", "rm", code)
    assert removed.returncode == 0, removed.stderr
    started = time.monotonic()
    while True:
        # New connections each round, spread over both workers by the kernel.
        statuses = await send_requests(edge.url, [f"/{code}"] * 40, concurrency=40)
        if statuses == {404: 40}:
            break
        assert time.monotonic() - started < 1.0, f"still redirecting after 1 s: {statuses}"
    assert time.monotonic() - started < 1.0


async def test_flushall_while_serving_never_fails_a_redirect(
    settings_factory: SettingsFactory, private_redis: PrivateRedis, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(redis_url=private_redis.url, cache_ttl=0.05, negative_ttl=0.05)
    codes = await seed_links(settings, 50)
    edge = edge_factory(settings, workers=2)
    paths = [f"/{code}" for code in codes] * 40
    flushed = asyncio.Event()

    async def flush_repeatedly() -> None:
        client = redis.asyncio.Redis.from_url(private_redis.url)
        for _ in range(10):
            await asyncio.sleep(0.05)  # spreads the flushes over the traffic; nothing is asserted after it
            await client.flushall()
        await client.aclose()
        flushed.set()

    async def serve_until_flushed() -> tuple[Counter[int], int]:
        # Rounds until the last FLUSHALL is done: traffic that ended before the flushes would prove nothing.
        statuses: Counter[int] = Counter()
        rounds = 0
        while not flushed.is_set():
            statuses += await send_requests(edge.url, paths, concurrency=50)
            rounds += 1
        return statuses, rounds

    (statuses, rounds), _ = await asyncio.gather(serve_until_flushed(), flush_repeatedly())

    assert statuses == {302: rounds * len(paths)}


async def test_redis_outage_keeps_cached_codes_redirecting_and_delivers_clicks_later(
    settings_factory: SettingsFactory, private_redis: PrivateRedis, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(redis_url=private_redis.url, cache_ttl=300.0)
    codes = await seed_links(settings, 10)
    edge = edge_factory(settings, workers=1)
    before = await send_requests(edge.url, [f"/{code}" for code in codes], concurrency=5)
    assert before == {302: 10}
    assert (await wait_for_click_total(settings, 10, timeout=5)).total() == 10

    private_redis.stop()
    during = await send_requests(edge.url, [f"/{code}" for code in codes] * 30, concurrency=10)
    assert during == {302: 300}
    # A flush has failed with all 300 clicks in memory: from here on only the retry can deliver them.
    await wait_until_in_loop(
        edge.log, lambda log: "300 clicks held for retry" in log, what="a failed flush holding 300 clicks"
    )
    private_redis.start()  # empty: the local Redis keeps nothing on disk

    clicks = await wait_for_click_total(settings, 300, timeout=15)
    # The 10 clicks from before the outage went with the old Redis; all 300 made during it arrive.
    assert clicks == Counter({code: 30 for code in codes})
    assert "dropped" not in edge.log()


async def test_clicks_waiting_in_the_streams_survive_a_crash_of_a_redis_with_the_append_only_file(
    settings_factory: SettingsFactory,
    durable_redis: PrivateRedis,
    edge_factory: ProcessFactory,
    worker_factory: ProcessFactory,
) -> None:
    # As docker-compose.yml and `hop dev` run Valkey: the clicks the edge wrote, not yet applied,
    # are still in the streams after a SIGKILL and a restart, and the worker then applies each once.
    settings = settings_factory(redis_url=durable_redis.url)
    codes = await seed_links(settings, 20)
    edge = edge_factory(settings, workers=1)
    paths = [f"/{code}" for code in codes] * 10
    assert await send_requests(edge.url, paths, concurrency=20) == {302: 200}
    written = await wait_for_click_total(settings, 200)

    durable_redis.kill()
    durable_redis.start()

    assert clicks_by_code(settings) == written == Counter({code: 10 for code in codes})
    worker_factory(settings)
    async with open_stores(settings) as stores:
        counts = await wait_until_async(
            lambda: stores.pool.fetch("SELECT code, click_count FROM links"),
            lambda rows: sum(row["click_count"] for row in rows) >= 200,
            what="the worker applying the 200 clicks",
        )
    assert {row["code"]: row["click_count"] for row in counts} == {code: 10 for code in codes}


async def test_edge_start_up_names_a_bad_setting(settings: Settings) -> None:
    result = run_hop(settings, "edge", edge_port="not-a-port")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "hop: invalid settings: HOP_EDGE_PORT: Input should be a valid integer, unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("click_shards", "0", "HOP_CLICK_SHARDS: Input should be greater than or equal to 1"),
        ("redis_url", "http://localhost", "HOP_REDIS_URL: scheme must be redis://, rediss:// or unix://"),
        ("database_read_url", "mysql://replica", "HOP_DATABASE_READ_URL: scheme must be postgresql://"),
        ("trusted_proxies", "10.0.0.0/33", "HOP_TRUSTED_PROXIES"),
    ],
)
def test_other_bad_settings_are_named_at_start_up(
    settings: Settings, settings_factory: SettingsFactory, variable: str, value: str, message: str
) -> None:
    # timeout named, so that the parametrized setting can only land in run_hop's **extra
    result = run_hop(settings, "edge", timeout=STARTUP_TIMEOUT_S, **{variable: value})
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_concurrent_misses_for_many_distinct_codes_all_read_through(
    settings: Settings, edge_factory: ProcessFactory
) -> None:
    # Codes Postgres has but Redis lacks, asked for at once: the read-through batches span many codes.
    codes = await seed_links(settings, 600, prefix="cold")
    with redis.Redis.from_url(redis_url(settings)) as client:
        client.delete(*[f"{settings.redis_prefix}link:{code}" for code in codes])
    unknown = [f"unknown{n}" for n in range(100)]
    edge = edge_factory(settings, workers=1)

    statuses = await send_requests(edge.url, [f"/{code}" for code in codes + unknown], concurrency=200)

    assert statuses == {302: len(codes), 404: len(unknown)}
    assert "lookup batch failed" not in edge.log()
    assert "Traceback" not in edge.log()
