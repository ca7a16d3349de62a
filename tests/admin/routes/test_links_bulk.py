"""Bulk creation (1,000 per request, a result per item) and CSV export/import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from starlette.testclient import TestClient

from admin.body_limit import MAX_BODY_BYTES
from admin.links_bulk import MAX_BULK
from common.records import LinkRecord
from common.settings import Settings
from tests.admin.api import Account, assert_problem
from tests.admin.routes.test_links import edge_record


def test_bulk_creates_a_thousand_links(client: TestClient, alice: Account, settings: Settings) -> None:
    items = [{"target_url": f"https://example.com/{n}", "tags": ["bulk"]} for n in range(MAX_BULK)]
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["failed"]) == (MAX_BULK, 0)
    assert [r["index"] for r in body["results"]] == list(range(MAX_BULK))
    assert [r["link"]["target_url"] for r in body["results"]] == [i["target_url"] for i in items]
    codes = {r["link"]["code"] for r in body["results"]}
    assert len(codes) == MAX_BULK
    listed = client.get("/api/v1/links", params={"tag": "bulk", "limit": 1}, headers=alice.headers).json()
    assert listed["count"] == MAX_BULK
    sample = body["results"][777]["link"]
    record = edge_record(settings, sample["code"])
    assert isinstance(record, LinkRecord) and record.target == sample["target_url"]


def test_bulk_over_the_limit_is_refused_whole(client: TestClient, alice: Account) -> None:
    items = [{"target_url": "https://example.com/"}] * (MAX_BULK + 1)
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    assert_problem(response, 422, "validation_failed")
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0


def test_bulk_reports_each_failure_and_keeps_the_rest(client: TestClient, alice: Account, bob: Account) -> None:
    client.post("/api/v1/links", json={"target_url": "https://e.com/", "code": "bobs"}, headers=bob.headers)
    items: list[object] = [
        {"target_url": "https://ok.example/1", "code": "fine"},
        {"target_url": "javascript:alert(1)"},
        {"target_url": "https://ok.example/2", "code": "bobs"},
        {"target_url": "https://ok.example/3", "code": "fine"},
        {"target_url": "https://ok.example/4", "code": "docs"},
        {"target_url": "https://ok.example/5", "redirect_status": 200},
        {"target_url": "https://ok.example/6"},
    ]
    # An item that is not even an object breaks the request's schema: nothing is created.
    malformed = client.post("/api/v1/links/bulk", json={"links": [*items, "text"]}, headers=alice.headers)
    assert_problem(malformed, 422, "validation_failed")
    response = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    results = response.json()["results"]
    outcome = [r["ok"] or r["error"]["code"] for r in results]
    assert outcome == [True, "scheme", "code_taken", "code_taken", "code_reserved", "validation_failed", True]
    assert response.json()["created"] == 2


def test_csv_export_then_import_round_trips(client: TestClient, alice: Account, bob: Account) -> None:
    items = [
        {"target_url": "https://example.com/a", "code": "csv-a", "title": '=HYPERLINK("x")', "tags": ["t1", "t2"]},
        {
            "target_url": "https://example.com/b?x=1,2",
            "code": "csv-b",
            "redirect_status": 301,
            "expires_at": "2099-05-01T12:00:00Z",
            "max_clicks": 7,
            "forward_query": True,
            "title": 'A "quoted", title',
        },
    ]
    client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers)
    exported = client.get("/api/v1/links/export.csv", headers=alice.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["code"] for row in rows] == ["csv-a", "csv-b"]
    # A formula-looking cell is neutralised for spreadsheets.
    assert rows[0]["title"] == '\'=HYPERLINK("x")'
    assert rows[0]["tags"] == "t1,t2"

    # Bob imports Alice's export: the same links under new codes (the old codes are taken).
    renamed = exported.text.replace("csv-a", "bob-a").replace("csv-b", "bob-b")
    imported = client.post(
        "/api/v1/links/import.csv", content=renamed.encode(), headers={**bob.headers, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    alice_links = {link["title"]: link for link in _links(client, alice)}
    bob_links = {link["title"]: link for link in _links(client, bob)}
    for title, link in alice_links.items():
        theirs = bob_links[title]
        for field in ("target_url", "redirect_status", "expires_at", "max_clicks", "forward_query", "tags"):
            assert theirs[field] == link[field], field


def _links(client: TestClient, account: Account) -> list[dict[str, object]]:
    data: list[dict[str, object]] = client.get("/api/v1/links", headers=account.headers).json()["data"]
    return data


def test_import_reports_bad_rows(client: TestClient, alice: Account) -> None:
    text = "target_url,code,redirect_status,max_clicks\r\nhttps://ok.example/,imp1,302,\r\nftp://no/,,,\r\n"
    text += "https://ok.example/2,,999,\r\nhttps://ok.example/3,,,-1\r\n"
    body = client.post("/api/v1/links/import.csv", content=text, headers={**alice.headers, "Content-Type": "text/csv"})
    outcome = [r["ok"] or r["error"]["code"] for r in body.json()["results"]]
    assert outcome == [True, "scheme", "validation_failed", "validation_failed"]


def test_import_refuses_unreadable_csv(client: TestClient, alice: Account) -> None:
    headers = {**alice.headers, "Content-Type": "text/csv"}
    no_header = client.post("/api/v1/links/import.csv", content="https://e.com/\r\n", headers=headers)
    assert_problem(no_header, 422, "invalid_csv")
    latin1 = client.post(
        "/api/v1/links/import.csv", content="target_url\r\nhttps://é.com/\r\n".encode("latin-1"), headers=headers
    )
    assert_problem(latin1, 422, "invalid_csv")


def test_an_oversized_body_is_413(client: TestClient, alice: Account) -> None:
    big = b"target_url\r\n" + b"https://example.com/x\r\n" * (MAX_BODY_BYTES // 20)
    response = client.post(
        "/api/v1/links/import.csv", content=big, headers={**alice.headers, "Content-Type": "text/csv"}
    )
    assert_problem(response, 413, "body_too_large")

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    chunked = client.post(
        "/api/v1/links/import.csv", content=chunks(), headers={**alice.headers, "Content-Type": "text/csv"}
    )
    assert_problem(chunked, 413, "body_too_large")
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0
