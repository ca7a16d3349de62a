"""End to end with real processes: links made through the API redirect at a real edge within a
second, and stop within a second of deletion; `hop admin` serves on Granian."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import Account
from tests.conftest import ProcessFactory
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

WITHIN_S = 1.0


def _wait_for_status(url: str, wanted: int, within: float) -> None:
    """Until GET ``url`` answers ``wanted`` (polling); fails after ``within`` seconds."""
    with httpx.Client(follow_redirects=False, timeout=1.0) as http:
        wait_until(
            lambda: http.get(url).status_code,
            lambda status: status == wanted,
            timeout=within,
            what=f"{url} to answer {wanted}",
        )


def test_edge_follows_api_changes_within_a_second(
    client: TestClient, alice: Account, settings: Settings, edge_factory: ProcessFactory
) -> None:
    edge = edge_factory(settings, workers=2)
    # The edge has already been asked (and remembers "unknown") before the link exists.
    assert httpx.get(f"{edge.url}/fresh").status_code == 404

    created = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/fresh", "code": "fresh"}, headers=alice.headers
    )
    assert created.status_code == 201
    _wait_for_status(f"{edge.url}/fresh", 302, WITHIN_S)
    # Both workers serve it: several requests in a row all redirect.
    with httpx.Client(follow_redirects=False) as http:
        assert {http.get(f"{edge.url}/fresh").headers.get("location") for _ in range(10)} == {
            "https://example.com/fresh"
        }

    client.patch("/api/v1/links/fresh", json={"redirect_status": 301}, headers=alice.headers)
    _wait_for_status(f"{edge.url}/fresh", 301, WITHIN_S)

    assert client.delete("/api/v1/links/fresh", headers=alice.headers).status_code == 204
    _wait_for_status(f"{edge.url}/fresh", 404, WITHIN_S)
    with httpx.Client(follow_redirects=False) as http:
        assert {http.get(f"{edge.url}/fresh").status_code for _ in range(10)} == {404}


def test_hop_admin_serves_on_granian(settings: Settings, admin_factory: ProcessFactory) -> None:
    base = admin_factory(settings).url
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").json()["postgres"] == "ok"
    assert "/api/v1/links" in httpx.get(f"{base}/openapi.json").json()["paths"]
    missing = httpx.get(f"{base}/api/v1/links")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
