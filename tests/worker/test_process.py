"""`hop worker` as a process: health check, SIGTERM, lag from redirect to Postgres."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from collections.abc import Callable

import pytest
import redis

from common.metrics import sample_value
from common.redis import keys_for, redis_url
from common.settings import Settings
from common.stores import Stores, open_stores
from harness.clicks import xadd_batch
from harness.processes import free_port, run_hop
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until, wait_until_async
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e


def check(settings: Settings) -> int:
    return run_hop(settings, "worker", "--check").returncode


def heartbeat_present(settings: Settings, pid: int) -> bool:
    """Whether the worker process ``pid`` (on this host) has its heartbeat key in Redis."""
    with redis.Redis.from_url(redis_url(settings)) as client:
        return bool(client.exists(keys_for(settings).worker_heartbeat(f"{socket.gethostname()}:{pid}")))


async def click_count(stores: Stores, code: str) -> int:
    return int(await stores.pool.fetchval("SELECT click_count FROM links WHERE code = $1", code))


def at_least(count: int) -> Callable[[int], bool]:
    return lambda value: value >= count


def test_check_follows_the_heartbeat_and_sigterm_exits_cleanly(
    settings: Settings, worker_factory: ProcessFactory
) -> None:
    assert check(settings) == 1
    worker = worker_factory(settings)
    # The worker logs that it started before its loop writes the first heartbeat.
    wait_until(lambda: heartbeat_present(settings, worker.pid), what="the worker's heartbeat key")
    assert check(settings) == 0
    assert worker.terminate() == 0
    assert "stopped ◆" in worker.log()
    assert check(settings) == 1  # the heartbeat is removed at a clean exit
    assert not heartbeat_present(settings, worker.pid)


def test_burst_drains_and_exits(settings: Settings) -> None:
    done = run_hop(settings, "worker", "--burst")
    assert done.returncode == 0, done.stderr
    assert "0 clicks applied" in done.stdout


async def test_a_click_is_counted_within_a_second(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, worker_factory: ProcessFactory
) -> None:
    settings = settings_factory()
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="lag")
        edge = edge_factory(settings, workers=1)
        worker = worker_factory(settings)
        lags: list[float] = []
        total = 0
        try:
            for _ in range(10):
                statuses = await send_requests(edge.url, ["/lag"] * 500, concurrency=16)
                total += statuses[302]
                sent = time.monotonic()
                await wait_until_async(
                    lambda: click_count(stores, "lag"),
                    at_least(total),
                    timeout=5,
                    interval=0.01,
                    what=f"{total} clicks counted",
                )
                lags.append(time.monotonic() - sent)
        finally:
            worker.terminate()
    print(f"lag from last redirect to counted in postgres: {[round(lag * 1000) for lag in lags]} ms, {total} clicks")
    assert total == 5000
    # The promise is one second. Rounds are judged by their median, with a looser cap on the worst,
    # because this 2-core machine runs edge, worker, both stores and the client (and other work) at once.
    assert sorted(lags)[len(lags) // 2] < 0.5
    assert max(lags) < 3.0


async def test_sigterm_mid_backlog_commits_what_it_started_and_nothing_is_lost(
    settings_factory: SettingsFactory, worker_factory: ProcessFactory
) -> None:
    settings = settings_factory(worker_batch_size=2)  # many small transactions, so SIGTERM lands mid-backlog
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="term")
        now = time.time_ns() // 1_000_000
        for n in range(200):
            batch = [(now, "term", f"198.51.100.{n % 250}", "curl/8", "", "")] * 100
            await xadd_batch(stores.redis, stores.keys, n % settings.click_shards, batch)
        worker = worker_factory(settings)
        await wait_until_async(lambda: click_count(stores, "term"), interval=0.01, what="the first clicks committed")
        assert worker.terminate() == 0
        # What was committed is exactly what the cursors say; the rest waits in the streams.
        counted = await click_count(stores, "term")
        assert 0 < counted < 20_000
        assert counted == await stores.pool.fetchval("SELECT sum(applied) FROM stream_cursors")
        done = run_hop(settings, "worker", "--burst")
        assert done.returncode == 0, done.stderr
        assert await click_count(stores, "term") == 20_000
        assert await stores.pool.fetchval("SELECT count(*) FROM clicks") == 20_000


async def test_metrics_port_reports_applied_clicks(
    settings_factory: SettingsFactory, worker_factory: ProcessFactory
) -> None:
    port = free_port()
    settings = settings_factory(worker_metrics_port=port)

    def get(path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status), response.read().decode()

    async def metrics() -> str:
        status, text = await asyncio.to_thread(get, "/metrics")
        assert status == 200
        return text

    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="met")
        await xadd_batch(stores.redis, stores.keys, 0, [(time.time_ns() // 1_000_000, "met", "", "", "", "")] * 3)
        worker = worker_factory(settings)
        try:
            await wait_until_async(lambda: click_count(stores, "met"), at_least(3), what="3 clicks committed")
            # The counter moves just after the commit: wait for it too, then check it counted exactly.
            text = await wait_until_async(
                metrics,
                lambda text: sample_value(text, "hop_worker_clicks_applied_total") >= 3,
                what="3 clicks in hop_worker_clicks_applied_total",
            )
            assert sample_value(text, "hop_worker_clicks_applied_total") == 3
            assert (await asyncio.to_thread(get, "/readyz"))[0] == 200
        finally:
            assert worker.terminate() == 0
