"""End to end with real processes: links made through the API redirect at a real edge within a
second, and stop within a second of deletion; `hop admin` serves on Granian."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import Account
from tests.admin.processes import running_admin
from tests.servers import EdgeProcess

pytestmark = pytest.mark.e2e

WITHIN_S = 1.0


def _wait_for_status(url: str, wanted: int, within: float) -> float:
    """Seconds until GET ``url`` answered ``wanted`` (polling), or fail after ``within``."""
    started = time.monotonic()
    with httpx.Client(follow_redirects=False, timeout=1.0) as http:
        while True:
            status = http.get(url).status_code
            elapsed = time.monotonic() - started
            if status == wanted:
                return elapsed
            assert elapsed < within, f"{url} still answers {status} after {elapsed:.2f}s"
            time.sleep(0.02)


def test_edge_follows_api_changes_within_a_second(
    client: TestClient, alice: Account, settings: Settings, edge_factory: Callable[..., EdgeProcess]
) -> None:
    edge = edge_factory(settings, workers=2)
    # The edge has already been asked (and remembers "unknown") before the link exists.
    assert httpx.get(f"{edge.base_url}/fresh").status_code == 404

    created = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/fresh", "code": "fresh"}, headers=alice.headers
    )
    assert created.status_code == 201
    _wait_for_status(f"{edge.base_url}/fresh", 302, WITHIN_S)
    # Both workers serve it: several requests in a row all redirect.
    with httpx.Client(follow_redirects=False) as http:
        assert {http.get(f"{edge.base_url}/fresh").headers.get("location") for _ in range(10)} == {
            "https://example.com/fresh"
        }

    client.patch("/api/v1/links/fresh", json={"redirect_status": 301}, headers=alice.headers)
    _wait_for_status(f"{edge.base_url}/fresh", 301, WITHIN_S)

    assert client.delete("/api/v1/links/fresh", headers=alice.headers).status_code == 204
    _wait_for_status(f"{edge.base_url}/fresh", 404, WITHIN_S)
    with httpx.Client(follow_redirects=False) as http:
        assert {http.get(f"{edge.base_url}/fresh").status_code for _ in range(10)} == {404}


def test_hop_admin_serves_on_granian(settings: Settings, tmp_path: Path) -> None:
    with running_admin(settings, tmp_path / "admin.log") as base:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz").json()["postgres"] == "ok"
        assert "/api/v1/links" in httpx.get(f"{base}/openapi.json").json()["paths"]
        missing = httpx.get(f"{base}/api/v1/links")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
