"""Security headers on every admin response, no-store on tokens, and /docs served from local assets."""

from __future__ import annotations

import re
from collections.abc import Mapping

from httpx2 import Response
from starlette.testclient import TestClient

from admin.app import create_app
from common.settings import Settings
from tests.admin.api import Account, assert_problem, login
from tests.admin.conftest import ClientFactory
from tests.conftest import SettingsFactory

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def assert_hardened(headers: Mapping[str, str]) -> None:
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "no-referrer"
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")


def test_api_responses_carry_the_security_headers(client: TestClient, alice: Account) -> None:
    responses: list[Response] = [
        client.get("/api/v1/links", headers=alice.headers),
        client.get("/api/v1/users/me", headers=alice.headers),
        client.get("/api/v1/links/nope", headers=alice.headers),  # a problem
        client.get("/api/v1/links"),  # 401
        client.get("/healthz"),
        client.get("/openapi.json"),
    ]
    for response in responses:
        assert_hardened(response.headers)
        assert response.headers["content-security-policy"] == API_CSP
    for response in responses[:4]:
        assert response.headers["cache-control"] == "no-store"


def test_unexpected_errors_carry_the_security_headers(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("internals")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert_problem(response, 500, "internal_error")
    assert_hardened(response.headers)
    assert response.headers["cache-control"] == "no-store"


def test_token_responses_are_not_stored(client: TestClient, alice: Account) -> None:
    signed_in = login(client, alice.email)
    assert signed_in.status_code == 200
    assert signed_in.headers["cache-control"] == "no-store"
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": signed_in.json()["refresh_token"]})
    assert refreshed.status_code == 200
    assert refreshed.headers["cache-control"] == "no-store"


def test_docs_pages_use_only_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "//" not in re.sub(r"<!--.*?-->", "", response.text, flags=re.DOTALL), "an absolute or external URL"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self' " in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assets = ASSET_URL.findall(response.text)
        assert len(assets) >= 2, response.text
        for url in assets:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["x-content-type-options"] == "nosniff"
            assert len(asset.content) > 1000


def test_docs_can_be_turned_off(client_factory: ClientFactory, settings_factory: SettingsFactory) -> None:
    client = client_factory(settings_factory(admin_docs=False))
    for path in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
        assert_problem(client.get(path), 404, "not_found")
    assert client.get("/openapi.json").status_code == 200
