"""POST /api/v1/imports: the report as JSON, links owned by the caller, problems for files it cannot take."""

from __future__ import annotations

import csv
import io

from httpx2 import Response
from starlette.testclient import TestClient

from admin.body_limit import MAX_BODY_BYTES
from common.settings import Settings
from tests.admin.api import Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.admin.importers.fixtures import fixture
from tests.conftest import SettingsFactory

IMPORTS = "/api/v1/imports"


def upload(client: TestClient, account: Account, source: str, data: bytes, *, dry_run: bool = False) -> Response:
    return client.post(
        IMPORTS,
        params={"source": source, "dry_run": str(dry_run).lower()},
        files={"file": ("export", data, "application/octet-stream")},
        headers=account.headers,
    )


def codes(client: TestClient, account: Account) -> set[str]:
    return {link["code"] for link in client.get("/api/v1/links", headers=account.headers).json()["data"]}


def test_a_dry_run_then_the_import_then_the_same_again(client: TestClient, alice: Account) -> None:
    preview = client.post(
        IMPORTS,
        params={"source": "bitly-csv", "dry_run": "true"},
        files={"file": ("bitly.csv", fixture("bitly.csv"), "text/csv")},
        headers=alice.headers,
    )
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert (report["source"], report["dry_run"]) == ("bitly-csv", True)
    assert report["counts"] == {
        "would_create": 4,
        "created": 0,
        "already_present": 1,
        "conflict": 1,
        "invalid": 7,
        "failed": 0,
    }
    assert [row["row"] for row in report["rows"]] == list(range(2, 15))
    spring = report["rows"][0]
    assert spring == {
        "row": 2,
        "outcome": "would_create",
        "code": "3xYzAbC",
        "domain": None,
        "target_url": "https://example.com/spring?utm_source=bitly",
        "title": "Spring sale",
        "tags": ["newsletter", "spring"],
        "created_at": "2023-05-10T14:21:33Z",
        "imported_clicks": 1234,
        "error": None,
    }
    latin = report["rows"][8]
    assert latin["error"] == {
        "code": "not_utf8",
        "detail": "the Title cell has bytes that are not UTF-8; save the export as UTF-8",
    }
    assert codes(client, alice) == set()

    raw = {**alice.headers, "Content-Type": "text/csv"}
    done = client.post(IMPORTS, params={"source": "bitly-csv"}, content=fixture("bitly.csv"), headers=raw)
    assert done.status_code == 200, done.text
    assert done.json()["dry_run"] is False
    assert done.json()["counts"]["created"] == 4
    assert codes(client, alice) == {"3xYzAbC", "summer-offer", "docs-home", "3formula"}
    link = client.get("/api/v1/links/3xYzAbC", headers=alice.headers).json()
    assert (link["imported_clicks"], link["click_count"], link["owner_id"]) == (1234, 0, alice.id)
    assert link["created_at"] == "2023-05-10T14:21:33Z"
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers)
    assert exported.status_code == 200, exported.text
    totals = {row["code"]: row["imported_clicks"] for row in csv.DictReader(io.StringIO(exported.text))}
    assert totals["3xYzAbC"] == "1234"  # the history travels on in Hop's own CSV export

    again = upload(client, alice, "bitly-csv", fixture("bitly.csv")).json()
    assert (again["counts"]["created"], again["counts"]["already_present"]) == (0, 5)


def test_each_source_through_the_api(client_factory: ClientFactory, settings_factory: SettingsFactory) -> None:
    # Hop's default domain is the Shlink export's (s.test), and Kutt's custom domain was added to Hop.
    settings = settings_factory(short_base_url="https://s.test")
    client = client_factory(settings)
    sql(settings, "INSERT INTO domains (host) VALUES ('go.example.org')")
    alice = sign_up(client, "alice@example.com")
    # In this order, the later files share codes with the earlier ones: those come back already present.
    expected = [
        # data:, with/slash and a comma in a tag are invalid, and so is 123bA: on example.com, not a Hop domain.
        ("shlink-csv", "shlink_short_urls.csv", 2, 0),
        ("shlink-json", "shlink_short_urls.json", 1, 2),  # 12C18, 12Kb3 from the CSV; "later" is new
        ("kutt-csv", "kutt_links.csv", 1, 0),  # "docs" is a reserved code in Hop; "branded" names its domain by id
        ("kutt-json", "kutt_links.json", 1, 0),  # launch again, but on go.example.org: another link
        ("yourls-sql", "yourls_url.sql", 5, 1),  # ozh twice in the dump
        ("yourls-csv", "yourls_url.csv", 0, 3),
    ]
    for source, name, created, present in expected:
        response = upload(client, alice, source, fixture(name))
        assert response.status_code == 200, (source, response.text)
        counts = response.json()["counts"]
        assert (counts["created"], counts["already_present"]) == (created, present), (source, counts)
        if source == "shlink-csv":
            row = next(row for row in response.json()["rows"] if row["code"] == "123bA")
            assert (row["outcome"], row["domain"], row["error"]["code"]) == ("invalid", "example.com", "unknown_domain")
    launch = client.get("/api/v1/links/launch", params={"domain": "go.example.org"}, headers=alice.headers).json()
    assert (launch["domain"], launch["short_url"]) == ("go.example.org", "https://go.example.org/launch")


def test_imports_need_a_signed_in_caller(client: TestClient) -> None:
    response = client.post(IMPORTS, params={"source": "bitly-csv"}, content=fixture("bitly.csv"))
    assert_problem(response, 401)


def test_what_the_endpoint_refuses_is_a_problem(client: TestClient, alice: Account) -> None:
    unknown = client.post(IMPORTS, params={"source": "shlink-api"}, content=b"{}", headers=alice.headers)
    assert_problem(unknown, 422, "validation_failed")
    missing = client.post(IMPORTS, content=b"{}", headers=alice.headers)
    assert_problem(missing, 422, "validation_failed")
    wrong = upload(client, alice, "bitly-csv", b"target_url,code\r\nhttps://example.com/,x\r\n")
    problem = assert_problem(wrong, 422, "invalid_import")
    assert "not a Bitly export" in problem["detail"]
    broken = upload(client, alice, "yourls-sql", b"INSERT INTO yourls_url VALUES ('a', 'https://e.example/);")
    assert "never closed" in assert_problem(broken, 422, "invalid_import")["detail"]
    no_field = client.post(
        IMPORTS, params={"source": "bitly-csv"}, files={"upload": ("x.csv", b"x", "text/csv")}, headers=alice.headers
    )
    assert_problem(no_field, 422, "invalid_import")
    empty = upload(client, alice, "kutt-json", b"")
    assert_problem(empty, 422, "invalid_import")
    assert codes(client, alice) == set()


def test_too_large_is_413(client: TestClient, alice: Account) -> None:
    big = b"keyword,url\r\n" + b"k,https://example.com/x\r\n" * (MAX_BODY_BYTES // 24)
    assert_problem(upload(client, alice, "yourls-csv", big), 413, "body_too_large")
    rows = b"keyword,url\r\n" + b"".join(b"k%d,https://e.example/\r\n" % n for n in range(10_001))
    too_many = upload(client, alice, "yourls-csv", rows)
    problem = assert_problem(too_many, 413, "import_too_large")
    assert "more than 10,000 rows" in problem["detail"]


def test_links_count_against_the_creation_limit_and_a_dry_run_does_not(
    client_factory: ClientFactory, settings_factory: SettingsFactory
) -> None:
    settings: Settings = settings_factory(link_create_per_minute=2)
    client = client_factory(settings)
    carol = sign_up(client, "carol@example.com")
    sql = b"INSERT INTO yourls_url VALUES " + b",".join(
        b"('k%d','https://example.com/%d','T','2020-01-01 00:00:00','::1',%d)" % (n, n, n) for n in range(3)
    )
    for _ in range(2):
        assert upload(client, carol, "yourls-sql", sql, dry_run=True).json()["counts"]["would_create"] == 3
    partial = upload(client, carol, "yourls-sql", sql)
    assert partial.status_code == 200
    assert int(partial.headers["Retry-After"]) >= 1
    body = partial.json()
    assert (body["counts"]["created"], body["counts"]["failed"]) == (2, 1)
    assert body["rows"][2]["error"]["code"] == "link_rate_limited"
    # Nothing left to create is no reason to refuse; one more to create is.
    refused = upload(client, carol, "yourls-sql", sql)
    assert_problem(refused, 429, "link_rate_limited")


def test_a_json_export_sent_as_the_raw_body(client: TestClient, alice: Account, settings: Settings) -> None:
    # `curl --data-binary @links.json -H 'Content-Type: application/json'`: the JSON checks run first.
    headers = {**alice.headers, "Content-Type": "application/json"}
    response = client.post(IMPORTS, params={"source": "kutt-json"}, content=fixture("kutt_links.json"), headers=headers)
    assert response.status_code == 200, response.text
    # docs is reserved, secret protected, and launch is on a domain Hop does not have: never moved to another.
    assert response.json()["counts"]["created"] == 0
    launch = response.json()["rows"][2]
    assert (launch["outcome"], launch["domain"], launch["error"]["code"]) == (
        "invalid",
        "go.example.org",
        "unknown_domain",
    )
    sql(settings, "INSERT INTO domains (host) VALUES ('go.example.org')")
    response = client.post(IMPORTS, params={"source": "kutt-json"}, content=fixture("kutt_links.json"), headers=headers)
    assert response.json()["counts"]["created"] == 1
    nan = client.post(IMPORTS, params={"source": "kutt-json"}, content=b'{"data": [NaN]}', headers=headers)
    assert_problem(nan, 422)
