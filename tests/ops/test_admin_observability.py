"""The admin API's request id, JSON logs and metrics: in process, and scraped from a real `hop admin`."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from admin.app import create_app
from common.logs import ContextFilter, JsonFormatter
from common.metrics import metric_names, sample_value
from common.settings import Settings
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until

ADMIN_SERIES = {
    "hop_admin_requests_total",
    "hop_admin_request_seconds_bucket",
    "hop_admin_request_seconds_count",
    "hop_admin_requests_in_progress",
}


@pytest.fixture
def captured() -> Iterator[list[str]]:
    """The access log as production writes it: JSON lines through the redacting filter."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Capture()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    access = logging.getLogger("hop.admin.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    yield lines
    access.removeHandler(handler)
    access.setLevel(level)


def test_request_id_is_kept_or_made_and_logged(settings: Settings, captured: list[str]) -> None:
    with TestClient(create_app(settings)) as client:
        given = client.get("/openapi.json", headers={"X-Request-ID": "proxy-abc-123"})
        made = client.get("/openapi.json", headers={"X-Request-ID": "bad id\x01"})
        missing = client.get("/api/v1/links/nope")
    assert given.headers["x-request-id"] == "proxy-abc-123"
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "bad id"
    assert missing.headers["x-request-id"]
    records = [orjson.loads(line) for line in captured]
    assert records[0]["request_id"] == "proxy-abc-123"
    assert records[0]["msg"].startswith("GET /openapi.json 200")
    assert records[2]["request_id"] == missing.headers["x-request-id"]
    assert records[2]["msg"].startswith("GET /api/v1/links/{code} 401")  # the template, not the raw path


@pytest.fixture
def admin_process(settings_factory: SettingsFactory, admin_factory: ProcessFactory) -> tuple[str, str]:
    admin = admin_factory(settings_factory(), workers=2, metrics=True)
    assert admin.metrics_url is not None
    return admin.url, admin.metrics_url


@pytest.mark.e2e
def test_admin_metrics_sum_both_workers(admin_process: tuple[str, str]) -> None:
    base, metrics = admin_process
    for _ in range(20):
        assert httpx.get(f"{base}/healthz", headers={"connection": "close"}, timeout=5).status_code == 200
    assert httpx.get(f"{base}/api/v1/links/whatever", timeout=5).status_code == 401
    labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    refused = (("method", "GET"), ("route", "/api/v1/links/{code}"), ("status", "401"))
    # A request is counted once its answer is sent: wait until every one of them is.
    text = wait_until(
        lambda: httpx.get(f"{metrics}/metrics", timeout=5).text,
        lambda text: (
            sample_value(text, "hop_admin_requests_total", labels) >= 20
            and sample_value(text, "hop_admin_requests_total", refused) >= 1
        ),
        timeout=5,
        interval=0.1,
        what="the 21 requests counted",
    )
    assert ADMIN_SERIES <= metric_names(text), ADMIN_SERIES - metric_names(text)
    assert sample_value(text, "hop_admin_requests_total", labels) == 20
    assert 'route="/api/v1/links/{code}"' in text
    assert sample_value(text, "hop_admin_requests_in_progress") == 0
    assert httpx.get(f"{metrics}/healthz", timeout=5).status_code == 200
