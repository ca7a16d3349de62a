"""The admin API's request id, JSON logs and metrics: in process, and scraped from a real `hop admin`."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from admin.app import create_app
from common.logs import ContextFilter, JsonFormatter
from common.metrics import metric_names, sample_value
from common.settings import Settings
from tests.conftest import SettingsFactory
from tests.servers import free_port, settings_env, wait_for_log

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
def admin_process(settings_factory: SettingsFactory, tmp_path: Path) -> Iterator[tuple[str, str]]:
    settings = settings_factory()
    port, metrics_port = free_port(), free_port()
    env = settings_env(settings, admin_port=port, admin_workers=2, admin_metrics_port=metrics_port)
    log_path = tmp_path / "admin.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "admin.cli", "admin"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_log(process, log_path, "admin worker ready", count=2)
        wait_for_log(process, log_path, "Started worker", count=2)
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.e2e
def test_admin_metrics_sum_both_workers(admin_process: tuple[str, str]) -> None:
    base, metrics = admin_process
    for _ in range(20):
        assert httpx.get(f"{base}/healthz", headers={"connection": "close"}, timeout=5).status_code == 200
    assert httpx.get(f"{base}/api/v1/links/whatever", timeout=5).status_code == 401
    labels = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    deadline = time.monotonic() + 5
    while (text := httpx.get(f"{metrics}/metrics", timeout=5).text) and time.monotonic() < deadline:
        if sample_value(text, "hop_admin_requests_total", labels) >= 20:
            break
        time.sleep(0.1)
    assert ADMIN_SERIES <= metric_names(text), ADMIN_SERIES - metric_names(text)
    assert sample_value(text, "hop_admin_requests_total", labels) == 20
    assert 'route="/api/v1/links/{code}"' in text
    assert sample_value(text, "hop_admin_requests_in_progress") == 0
    assert httpx.get(f"{metrics}/healthz", timeout=5).status_code == 200
