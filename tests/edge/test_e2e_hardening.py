"""The hardened edge as it runs: real `hop edge` Granian processes, real Redis and Postgres."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from common.linksync import full_sync
from common.metrics import sample_value
from common.records import LinkRecord
from common.settings import Settings
from common.stores import Stores, open_stores
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until_async
from tests.traffic import send_requests

pytestmark = pytest.mark.e2e


async def raw_exchange(url: str, request: bytes) -> bytes:
    """Send ``request`` as it is (any Host header) on a new connection; the response head."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


async def scrape_until(metrics_url: str, done: Callable[[str], bool], what: str) -> str:
    async with httpx.AsyncClient(base_url=metrics_url, timeout=5) as client:

        async def scrape() -> str:
            return (await client.get("/metrics")).text

        return await wait_until_async(scrape, done, what=what)


async def test_a_trailing_slash_with_a_hostile_host_is_a_404_without_location(
    settings: Settings, stores: Stores, edge_factory: ProcessFactory
) -> None:
    await add_link(stores, settings, "https://example.com/", code="code")
    edge = edge_factory(settings)

    head = await raw_exchange(edge.url, b"GET /code/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    direct = await raw_exchange(edge.url, b"GET /code HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 404"), head
    assert b"location" not in head.lower() and b"evil.example" not in head
    assert b"\r\nlocation: https://example.com/\r\n" in direct.lower()


async def test_bad_records_among_concurrent_redirects_fail_no_other_code_and_are_counted(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(metrics_interval=0.05)
    valid = [f"v{n}" for n in range(200)]
    async with open_stores(settings) as stores:
        records = {stores.keys.link(code): LinkRecord(target=f"https://e.com/{code}").encode() for code in valid}
        await stores.redis.mset(records)
        await stores.redis.set(stores.keys.link("garbage"), b"{not json")
        await stores.redis.set(stores.keys.link("js"), LinkRecord(target="javascript:alert(1)").encode())
    edge = edge_factory(settings, workers=2, metrics=True)
    paths = [f"/{valid[n % len(valid)]}" for n in range(2_000)]
    paths[::50] = ["/garbage", "/js"] * (len(paths[::50]) // 2)

    statuses = await send_requests(edge.url, paths, concurrency=200)

    assert statuses == Counter({302: 2_000 - len(paths[::50]), 404: len(paths[::50])})
    assert "lookup batch failed" not in edge.log()
    assert edge.log().count("refusing the redis record of 'garbage'") <= 2  # once per worker process
    assert edge.metrics_url is not None
    text = await scrape_until(
        edge.metrics_url,
        lambda text: sample_value(text, "hop_edge_responses_total", (("status", "404"),)) == len(paths[::50]),
        what="the 404s in the metrics",
    )
    assert sample_value(text, "hop_edge_records_rejected_total", (("reason", "malformed"),)) >= 1
    assert sample_value(text, "hop_edge_records_rejected_total", (("reason", "unsafe"),)) >= 1


async def test_max_clicks_holds_under_concurrency_across_two_workers(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(edge_not_found_rate=0)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="five", max_clicks=5)
    edge = edge_factory(settings, workers=2)

    # 200 connections with one request each, so that the kernel spreads them over both workers.
    statuses = await send_requests(edge.url, ["/five"] * 200, concurrency=200)

    assert statuses == Counter({302: 5, 404: 195})
    assert (await send_requests(edge.url, ["/five"] * 20, concurrency=20)) == Counter({404: 20})


async def test_with_redis_marked_complete_probes_for_unknown_codes_cost_postgres_nothing(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(edge_not_found_rate=0, metrics_interval=0.05)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="known")
        assert (await full_sync(stores.pool, stores.redis, stores.keys)).complete
    edge = edge_factory(settings, workers=2, metrics=True)
    probes = [f"/probe{n}" for n in range(300)]

    statuses = await send_requests(edge.url, [*probes, "/known"], concurrency=50)

    assert statuses == Counter({404: 300, 302: 1})
    assert edge.metrics_url is not None
    # Counters are handed over together: once the 404s show, every lookup behind them does too.
    text = await scrape_until(
        edge.metrics_url,
        lambda text: sample_value(text, "hop_edge_responses_total", (("status", "404"),)) == 300,
        what="the 300 404s in the metrics",
    )
    assert sample_value(text, "hop_edge_complete_misses_total") == 300
    assert sample_value(text, "hop_edge_read_through_total") == 0


async def test_a_404_flood_from_one_address_gets_429_with_retry_after(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(edge_not_found_rate=1, edge_not_found_burst=20)
    edge = edge_factory(settings, workers=1)

    statuses = await send_requests(edge.url, [f"/probe{n}" for n in range(100)], concurrency=1)
    head = await raw_exchange(edge.url, b"GET /probe100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    # The first 20 are 404s; a few more may come back while the flood runs (one a second).
    assert statuses[404] >= 20 and statuses[404] + statuses[429] == 100 and statuses[429] >= 70
    assert head.startswith(b"HTTP/1.1 429") and b"\r\nretry-after: 1\r\n" in head.lower()
