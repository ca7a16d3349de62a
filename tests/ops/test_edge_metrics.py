"""The edge's Prometheus endpoint, scraped from a real `hop edge` with several Granian workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from common.metrics import metric_names, render_multiprocess, sample_value
from common.settings import Settings
from common.stores import open_stores
from harness.clicks import clicks_by_code
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import add_link, wait_until_async

pytestmark = pytest.mark.e2e

EDGE_SERIES = {
    "hop_edge_responses_total",
    "hop_edge_cache_hits_total",
    "hop_edge_cache_entries",
    "hop_edge_redis_lookups_total",
    "hop_edge_redis_lookup_codes_total",
    "hop_edge_redis_errors_total",
    "hop_edge_read_through_total",
    "hop_edge_stale_served_total",
    "hop_edge_clicks_buffered_total",
    "hop_edge_clicks_flushed_total",
    "hop_edge_clicks_dropped_total",
    "hop_edge_click_xadds_total",
    "hop_edge_click_flush_errors_total",
    "hop_edge_clicks_pending",
    "hop_edge_orphan_visits_total",
}


async def scrape_until(client: httpx.AsyncClient, url: str, done: Callable[[str], bool], what: str) -> str:
    """Scrape until ``done(text)``: each worker hands its counters over every metrics_interval."""

    async def scrape() -> str:
        return (await client.get(f"{url}/metrics")).text

    return await wait_until_async(scrape, done, timeout=10, interval=0.1, what=what)


async def test_metrics_sum_every_worker_and_name_every_series(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory
) -> None:
    settings = settings_factory(metrics_interval=0.1)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="metered")
    edge = edge_factory(settings, workers=2, metrics=True)
    assert edge.metrics_url is not None
    assert f"edge metrics on {edge.metrics_url}/metrics" in edge.log()  # what the test below expects to be absent
    requests = 60
    # A new connection per request, so that the kernel spreads them over both workers.
    async with httpx.AsyncClient(base_url=edge.url, headers={"connection": "close"}, timeout=5) as client:
        for _ in range(requests):
            assert (await client.get("/metered")).status_code == 302
        assert (await client.get("/unknown1")).status_code == 404
        assert (await client.head("/metered")).status_code == 302

        text = await scrape_until(
            client,
            edge.metrics_url,
            lambda text: (
                sample_value(text, "hop_edge_clicks_flushed_total") >= requests + 1
                and sample_value(text, "hop_edge_responses_total", (("status", "302"),)) >= requests + 1
            ),
            what=f"{requests} clicks and an orphan visit flushed and {requests + 1} redirects counted",
        )
        assert (await client.get(f"{edge.metrics_url}/healthz")).status_code == 200
    assert EDGE_SERIES <= metric_names(text), EDGE_SERIES - metric_names(text)
    assert sample_value(text, "hop_edge_responses_total", (("status", "302"),)) == requests + 1
    assert sample_value(text, "hop_edge_responses_total", (("status", "404"),)) == 1
    # The 404 of /unknown1 is an orphan visit, which travels with the clicks (edge/orphans.py).
    assert sample_value(text, "hop_edge_orphan_visits_total", (("outcome", "recorded"),)) == 1
    assert sample_value(text, "hop_edge_clicks_buffered_total") == requests + 1
    assert sample_value(text, "hop_edge_clicks_flushed_total") == requests + 1
    assert sample_value(text, "hop_edge_clicks_dropped_total") == 0
    assert sample_value(text, "hop_edge_read_through_total") >= 1  # "unknown1"; "metered" was written through
    lookups = sample_value(text, "hop_edge_redis_lookups_total")
    assert 1 <= lookups <= sample_value(text, "hop_edge_redis_lookup_codes_total")
    assert sample_value(text, "hop_edge_cache_hits_total") + lookups >= requests
    assert clicks_by_code(settings)["metered"] == requests


def test_metrics_disabled_by_port_zero(settings: Settings, edge_factory: ProcessFactory) -> None:
    edge = edge_factory(settings)
    assert edge.metrics_url is None
    assert httpx.get(f"{edge.url}/healthz", timeout=5).status_code == 200
    # The metrics port is opened (and logged) before Granian starts its workers: ready means decided.
    assert "metrics on" not in edge.log()


async def test_shutdown_hands_over_the_last_counts(
    settings_factory: SettingsFactory, edge_factory: ProcessFactory, tmp_path: Path
) -> None:
    # An interval longer than the test: only the export at SIGTERM can have written these samples.
    settings = settings_factory(metrics_interval=60, metrics_dir=tmp_path)
    async with open_stores(settings) as stores:
        await add_link(stores, settings, "https://example.com/", code="last")
    edge = edge_factory(settings, workers=1, metrics=True)
    async with httpx.AsyncClient(base_url=edge.url, timeout=5) as client:
        for _ in range(25):
            assert (await client.get("/last")).status_code == 302
    assert edge.terminate() == 0
    text = render_multiprocess(tmp_path / "edge").decode()
    assert sample_value(text, "hop_edge_responses_total", (("status", "302"),)) == 25
    assert sample_value(text, "hop_edge_clicks_flushed_total") == 25
    assert clicks_by_code(settings)["last"] == 25
