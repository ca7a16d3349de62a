"""`hop import` run as a subprocess against a test database, as an operator runs it; and
`hop import shlink-api` against a stand-in for a Shlink instance on 127.0.0.1 (a small HTTP server
answering GET /rest/v3/short-urls in the shape Shlink documents; Shlink itself cannot run here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from common.settings import Settings
from harness.processes import run_hop
from tests.admin.api import PASSWORD
from tests.admin.db import sql
from tests.admin.importers.fixtures import fixture

API_KEY = "c3f3b2a0-6d9e-4c1f-9a51-1b7f0e0f5a2d"
PAGE_SIZE = 2  # smaller than what hop asks for: a server may cap itemsPerPage


def links(settings: Settings) -> dict[str, Any]:
    return {row["code"]: row for row in sql(settings, "SELECT code, target_url, owner_id, imported_clicks FROM links")}


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_dry_run_then_the_import_then_the_same_again(settings: Settings, tmp_path: Path) -> None:
    dump = write(tmp_path, "yourls.sql", fixture("yourls_url.sql"))
    dry = run_hop(settings, "import", "yourls-sql", dump, "--dry-run")
    # The dump has invalid rows: a dry run that finds them fails, as the import would.
    assert dry.returncode == 1, dry.stderr
    assert dry.stdout.splitlines()[-1] == "dry run: 5 would be created, 1 already present, 0 conflicts, 4 invalid"
    assert "row 5: invalid bad.kw -> https://example.com/dotted: invalid_code:" in dry.stdout
    assert "row 7: invalid latin -> https://example.com/latin: not_utf8:" in dry.stdout
    assert links(settings) == {}

    done = run_hop(settings, "import", "yourls-sql", dump)
    assert done.stdout.splitlines()[-1] == "5 created, 1 already present, 0 conflicts, 4 invalid", done.stderr
    assert links(settings)["1"]["imported_clicks"] == 1204
    again = run_hop(settings, "import", "yourls-sql", dump)
    assert again.stdout.splitlines()[-1] == "0 created, 6 already present, 0 conflicts, 4 invalid"
    assert len(links(settings)) == 5


def test_a_clean_import_succeeds_and_owner_and_json_work(settings: Settings, tmp_path: Path) -> None:
    made = run_hop(settings, "user", "create", "owner@example.com", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert made.returncode == 0, made.stderr
    export = write(tmp_path, "shlink.json", fixture("shlink_short_urls.json"))
    # The fixture's expired and over-limit links and its non-object item make it fail; these rows do not.
    clean = write(
        tmp_path,
        "clean.csv",
        b"keyword,url,title,timestamp,ip,clicks\r\nk1,https://example.com/1,One,2020-01-01 00:00:00,::1,10\r\n",
    )
    done = run_hop(settings, "import", "yourls-csv", clean, "--owner", "OWNER@example.com")
    assert done.returncode == 0, done.stdout + done.stderr
    [owner] = sql(settings, "SELECT id FROM users WHERE email = 'owner@example.com'")
    assert links(settings)["k1"]["owner_id"] == owner["id"]

    as_json = run_hop(settings, "import", "shlink-json", export, "--dry-run", "--json")
    report = orjson.loads(as_json.stdout)
    assert (report["source"], report["dry_run"]) == ("shlink-json", True)
    assert report["counts"]["would_create"] == 3
    assert [row["outcome"] for row in report["rows"]] == [
        "would_create",
        "would_create",
        "invalid",
        "invalid",
        "would_create",
        "invalid",
    ]

    nobody = run_hop(settings, "import", "yourls-csv", clean, "--owner", "nobody@example.com")
    assert (nobody.returncode, nobody.stderr.strip()) == (1, "hop: no user has the e-mail address nobody@example.com")
    missing = run_hop(settings, "import", "bitly-csv", str(tmp_path / "missing.csv"))
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
    unreadable = run_hop(settings, "import", "kutt-csv", clean)
    assert unreadable.returncode == 1
    assert "this is not Kutt's links table" in unreadable.stderr


@dataclass
class FakeShlink:
    """Short URLs served page by page as Shlink's REST API v3 does, and the requests it got."""

    short_urls: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def short_url(n: int) -> dict[str, Any]:
    return {
        "shortCode": f"sh{n}",
        "shortUrl": f"https://s.test/sh{n}",
        "longUrl": f"https://example.com/shlink/{n}",
        "dateCreated": f"2021-0{1 + n % 9}-01T10:00:00+02:00",
        "visitsSummary": {"total": n * 10, "nonBots": n * 9, "bots": n},
        "tags": ["shlink", f"t{n % 2}"],
        "meta": {"validSince": None, "validUntil": None, "maxVisits": None},
        "domain": None,
        "title": f"Short URL {n}",
        "crawlable": False,
        "forwardQuery": True,
        "hasRedirectRules": False,
    }


def _handler(fake: FakeShlink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            fake.requests.append({"path": parts.path, "key": self.headers.get("X-Api-Key"), **query})
            if parts.path == "/old/rest/v3/short-urls":
                self.send_response(301)
                self.send_header("Location", "http://127.0.0.2/rest/v3/short-urls")
                self.end_headers()
                return
            if self.headers.get("X-Api-Key") != API_KEY:
                self._answer(
                    401,
                    {
                        "type": "https://shlink.io/api/error/invalid-api-key",
                        "title": "Invalid API key",
                        "detail": "Provided API key does not exist or is invalid.",
                        "status": 401,
                    },
                )
                return
            page = int(query.get("page", "1"))
            pages = max(1, -(-len(fake.short_urls) // PAGE_SIZE))
            data = fake.short_urls[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            pagination = {
                "currentPage": page,
                "pagesCount": pages,
                "itemsPerPage": PAGE_SIZE,
                "itemsInCurrentPage": len(data),
                "totalItems": len(fake.short_urls),
            }
            self._answer(200, {"shortUrls": {"data": data, "pagination": pagination}})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            payload = orjson.dumps(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_shlink() -> Iterator[FakeShlink]:
    fake = FakeShlink([short_url(n) for n in range(1, 6)])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_shlink_api_reads_every_page_with_the_key(settings: Settings, fake_shlink: FakeShlink) -> None:
    done = run_hop(settings, "import", "shlink-api", "--url", f"{fake_shlink.url}/", import_shlink_api_key=API_KEY)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "5 created, 0 already present, 0 conflicts, 0 invalid"
    assert [(r["path"], r["page"], r["key"]) for r in fake_shlink.requests] == [
        ("/rest/v3/short-urls", "1", API_KEY),
        ("/rest/v3/short-urls", "2", API_KEY),
        ("/rest/v3/short-urls", "3", API_KEY),
    ]
    assert fake_shlink.requests[0]["orderBy"] == "dateCreated-ASC"
    stored = links(settings)
    assert sorted(stored) == ["sh1", "sh2", "sh3", "sh4", "sh5"]
    assert (stored["sh3"]["target_url"], stored["sh3"]["imported_clicks"]) == ("https://example.com/shlink/3", 30)
    [sh2] = sql(settings, "SELECT title, tags, created_at FROM links WHERE code = 'sh2'")
    assert (sh2["title"], sh2["tags"], sh2["created_at"].isoformat()) == (
        "Short URL 2",
        ["shlink", "t0"],
        "2021-03-01T08:00:00+00:00",
    )

    # The key from standard input works too; everything is there already.
    again = run_hop(settings, "import", "shlink-api", "--url", fake_shlink.url, "--api-key-stdin", stdin=f"{API_KEY}\n")
    assert again.stdout.splitlines()[-1] == "0 created, 5 already present, 0 conflicts, 0 invalid"


def test_shlink_api_errors_end_the_command_with_their_reason(settings: Settings, fake_shlink: FakeShlink) -> None:
    wrong = run_hop(settings, "import", "shlink-api", "--url", fake_shlink.url, import_shlink_api_key="wrong")
    assert wrong.returncode == 1
    refused = "answered 401: Provided API key does not exist or is invalid."
    assert wrong.stderr.strip() == f"hop: {fake_shlink.url} {refused}"
    no_key = run_hop(settings, "import", "shlink-api", "--url", fake_shlink.url)
    assert "no API key" in no_key.stderr
    moved = run_hop(settings, "import", "shlink-api", "--url", f"{fake_shlink.url}/old", import_shlink_api_key=API_KEY)
    assert moved.returncode == 1
    assert "redirects are not followed" in moved.stderr
    # The redirect's target never saw the key: hop stopped at the 301.
    assert [r["path"] for r in fake_shlink.requests].count("/old/rest/v3/short-urls") == 1
    bad_url = run_hop(settings, "import", "shlink-api", "--url", "file:///etc/passwd", import_shlink_api_key=API_KEY)
    assert "must be http:// or https://" in bad_url.stderr
    assert links(settings) == {}
