"""The admin serves the built dashboard at `/` (real `hop admin` processes on a fake build):
immutable hashed assets, a revalidated index.html with the dashboard CSP for every client route,
API paths untouched, nothing outside the build directory, and a page saying how to build it when
there is none. `hop openapi` prints the document the dashboard's types are generated from."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from admin.dashboard import DASHBOARD_CSP, accepts_html
from common.settings import AdminSettings, Settings, SettingsError, load_settings
from harness.processes import Process, free_port, run_hop
from tests.conftest import ProcessFactory

pytestmark = pytest.mark.e2e

ASSET = "/assets/index-abc123.js"
ASSET_BODY = b"console.log('hop dashboard');\n"
INDEX = f'<!doctype html><html><head><script type="module" src="{ASSET}"></script></head><body></body></html>\n'
SECRET = "the contents of a file next to the build"
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A fake `vite build` output, with a secret beside it that no request may reach."""
    build = tmp_path / "build" / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "assets" / "index-abc123.js").write_bytes(ASSET_BODY)
    (build / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "build" / "secret.txt").write_text(SECRET)
    (build / "assets" / "escape.js").symlink_to(tmp_path / "build" / "secret.txt")
    return build


@pytest.fixture
def admin(settings: Settings, admin_factory: ProcessFactory, dist: Path) -> Process:
    return admin_factory(settings, admin_dashboard_dir=dist)


def assert_dashboard_page(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == DASHBOARD_CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_hashed_assets_are_immutable_and_revalidate_to_304(admin: Process) -> None:
    asset = httpx.get(f"{admin.url}{ASSET}")
    assert asset.status_code == 200
    assert asset.content == ASSET_BODY
    assert asset.headers["cache-control"] == IMMUTABLE
    assert asset.headers["content-type"].startswith("text/javascript")
    assert asset.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(f"{admin.url}{ASSET}", headers={"If-None-Match": asset.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == IMMUTABLE
    missing = httpx.get(f"{admin.url}/assets/index-000000.js", headers=HTML)
    assert missing.status_code == 404  # a missing asset is no page: the browser must not run HTML as a script


def test_head_answers_the_headers_without_a_body(admin: Process) -> None:
    for path, headers in ((ASSET, {}), ("/", {}), ("/links/abc", HTML)):
        got = httpx.head(f"{admin.url}{path}", headers=headers)
        full = httpx.get(f"{admin.url}{path}", headers=headers)
        assert got.status_code == 200, path
        assert got.content == b""
        assert got.headers["content-length"] == str(len(full.content))
        assert got.headers["cache-control"] == full.headers["cache-control"]


def test_the_root_and_every_client_route_load_the_app(admin: Process) -> None:
    root = httpx.get(f"{admin.url}/")  # even without Accept: text/html (curl)
    assert_dashboard_page(root)
    assert root.text == INDEX
    for path in ("/links/abc", "/reset-password", "/setup", "/links/abc/analytics?from=2025-01-01", "/index.html"):
        page = httpx.get(f"{admin.url}{path}", headers=HTML)
        assert_dashboard_page(page)
        assert page.text == INDEX, path


def test_top_level_build_files_are_served_but_revalidated(admin: Process) -> None:
    icon = httpx.get(f"{admin.url}/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["cache-control"] == "no-cache"
    assert "default-src 'none'" in icon.headers["content-security-policy"]  # an SVG runs no script here


def test_api_docs_and_non_browser_requests_are_not_pages(admin: Process) -> None:
    unknown = httpx.get(f"{admin.url}/api/v1/unknown", headers=HTML)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "not_found"
    assert httpx.post(f"{admin.url}/api/v1/unknown", headers=HTML).status_code == 404
    assert httpx.get(f"{admin.url}/api", headers=HTML).status_code == 404
    assert httpx.get(f"{admin.url}/healthz", headers=HTML).json() == {"status": "ok"}
    assert httpx.get(f"{admin.url}/openapi.json", headers=HTML).json()["paths"]
    docs = httpx.get(f"{admin.url}/docs", headers=HTML)
    assert "swagger" in docs.text.lower() and docs.headers["content-security-policy"] != DASHBOARD_CSP
    # A client route asked for by a script (fetch's */*) or with another method is no navigation.
    for response in (httpx.get(f"{admin.url}/links/abc"), httpx.post(f"{admin.url}/links/abc", headers=HTML)):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """GET with the request target sent byte for byte (clients normalise `..` away)."""
    port = int(base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: admin\r\nAccept: */*\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer[9:12]), answer


@pytest.mark.parametrize(
    "target",
    [
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/%252e%252e/%252e%252e/secret.txt",
        "/assets/..\\..\\secret.txt",
        "/assets/....//....//secret.txt",
        "/assets/escape.js",  # a symlink out of the build
        "/assets/../../../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets//etc/passwd",
        "/assets/%00../../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/",
        "/assets",
    ],
)
def test_nothing_outside_the_build_is_served_nor_listed(admin: Process, target: str) -> None:
    status, answer = raw_get(admin.url, target)
    assert SECRET.encode() not in answer
    assert b"root:" not in answer
    assert b"index-abc123" not in answer  # no directory listing
    if target.startswith("/assets"):
        assert status in {301, 307, 400, 404}, answer


def test_without_a_build_the_root_says_how_to_build_it(settings: Settings, admin_factory: ProcessFactory) -> None:
    admin = admin_factory(settings, admin_dashboard_dir="")
    page = httpx.get(f"{admin.url}/")
    assert_dashboard_page(page)
    assert "make dashboard" in page.text and 'href="/docs"' in page.text
    assert "<script" not in page.text and "<style" not in page.text and " style=" not in page.text
    assert httpx.get(f"{admin.url}/links/abc", headers=HTML).text == page.text
    assert httpx.get(f"{admin.url}{ASSET}").status_code == 404
    assert httpx.get(f"{admin.url}/api/v1/unknown", headers=HTML).status_code == 404


def test_a_directory_without_index_html_stops_start_up(settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "not-built"
    empty.mkdir()
    result = run_hop(settings, "admin", admin_dashboard_dir=empty, admin_port=free_port(), timeout=60)
    assert result.returncode == 1
    assert "HOP_ADMIN_DASHBOARD_DIR" in result.stderr and "index.html" in result.stderr


def test_the_dashboard_setting_names_a_build_or_nothing(tmp_path: Path, dist: Path) -> None:
    assert load_settings(AdminSettings, admin_dashboard_dir=str(dist)).admin_dashboard_dir == dist.resolve()
    assert load_settings(AdminSettings, admin_dashboard_dir="").admin_dashboard_dir is None  # explicitly none
    for wrong in (tmp_path / "missing", dist / "assets", dist / "index.html"):
        with pytest.raises(SettingsError, match="HOP_ADMIN_DASHBOARD_DIR"):
            load_settings(AdminSettings, admin_dashboard_dir=str(wrong))


@pytest.mark.parametrize(
    ("accept", "navigation"),
    [
        ("text/html", True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", True),
        ("application/json, TEXT/HTML ; q=0.5", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("text/html;q=0", False),
        ("text/html;q=0.000", False),
        ("text/html;q=nope", False),
        ("text/htmlx", False),
    ],
)
def test_a_navigation_is_a_request_accepting_html(accept: str, navigation: bool) -> None:
    assert accepts_html(accept) is navigation


def test_hop_openapi_prints_the_admin_document(settings: Settings, tmp_path: Path) -> None:
    printed = run_hop(settings, "openapi", environment="production")  # no secrets needed to print it
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert "/api/v1/links" in document["paths"]
    assert list(document) == sorted(document)
    written = tmp_path / "openapi.json"
    assert run_hop(settings, "openapi", "--output", str(written)).returncode == 0
    assert written.read_text() == printed.stdout
