"""Links through the API: create, read, change, disable, delete, validation, and the edge records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
import redis
from httpx2 import Response
from starlette.testclient import TestClient

from common.records import NEGATIVE, Keys, LinkRecord
from common.settings import Settings
from harness.processes import free_port, run_hop
from tests.admin.api import Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.conftest import ProcessFactory, SettingsFactory
from tests.helpers import wait_until


def edge_record(settings: Settings, code: str) -> LinkRecord | bytes | None:
    """What the edge would find in Redis: a record, the tombstone, or None (absent)."""
    with redis.Redis.from_url(str(settings.redis_url)) as client:
        raw: bytes | None = client.get(Keys(settings.redis_prefix).link(code))
    if raw is None or raw == NEGATIVE:
        return raw
    return LinkRecord.decode(raw)


def create(client: TestClient, account: Account, **body: object) -> dict[str, object]:
    body.setdefault("target_url", "https://example.com/page")
    response = client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_create_with_every_field_and_read_back(client: TestClient, alice: Account, settings: Settings) -> None:
    link = create(
        client,
        alice,
        target_url="https://bücher.example/straße?q=1",
        code="My_Code-1",
        redirect_status=308,
        expires_at="2099-01-01T00:00:00Z",
        max_clicks=10,
        forward_query=True,
        title="Books",
        tags=["Reading", "reading", " books "],
    )
    assert link["code"] == "My_Code-1"
    assert link["short_url"] == f"{settings.short_base}/My_Code-1"
    assert link["target_url"] == "https://xn--bcher-kva.example/stra%C3%9Fe?q=1"
    assert link["tags"] == ["books", "reading"]
    assert link["owner_id"] == alice.id
    assert client.get("/api/v1/links/My_Code-1", headers=alice.headers).json() == link

    record = edge_record(settings, "My_Code-1")
    assert isinstance(record, LinkRecord)
    assert (record.target, record.status, record.forward_query) == (link["target_url"], 308, True)
    assert record.expires_at_ms == 4070908800000


def test_random_codes_have_the_configured_length(client: TestClient, alice: Account, settings: Settings) -> None:
    codes = {create(client, alice)["code"] for _ in range(5)}
    assert len(codes) == 5
    assert all(isinstance(c, str) and len(c) == settings.code_length for c in codes)


def test_custom_code_taken_is_409(client: TestClient, alice: Account, bob: Account) -> None:
    create(client, alice, code="taken")
    response = client.post("/api/v1/links", json={"target_url": "https://e.com/", "code": "taken"}, headers=bob.headers)
    assert_problem(response, 409, "code_taken")


def test_reserved_and_malformed_codes_are_refused(client: TestClient, alice: Account) -> None:
    def post(code: str) -> Response:
        return client.post("/api/v1/links", json={"target_url": "https://e.com/", "code": code}, headers=alice.headers)

    for code in ("docs", "API", "healthz", "Admin"):
        assert_problem(post(code), 422, "code_reserved")
    for code in ("", "a b", "x" * 65, "a/b", "ünï", "a.b", "robots.txt"):
        problem = assert_problem(post(code), 422, "validation_failed")
        assert problem["errors"][0]["loc"] == ["body", "code"], code
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0


BAD_TARGETS = {
    "scheme": "javascript:alert(1)",
    "too_long": "https://example.com/" + "a" * 2100,
    "credentials": "https://user:pw@example.com/",
    "control_characters": "https://example.com/\r\nSet-Cookie: x=1",
    "invalid_host": "https://ex ample.com/",
    "loop": "http://127.0.0.1:8000/abc",
    "blocked_domain": "https://sub.evil.example/phish",
}


def test_each_bad_target_class_is_a_clear_422(settings_factory: SettingsFactory, client_factory: ClientFactory) -> None:
    client = client_factory(settings_factory(blocked_domains="evil.example"))
    account = sign_up(client, "targets@example.com")
    for reason, target in BAD_TARGETS.items():
        response = client.post("/api/v1/links", json={"target_url": target}, headers=account.headers)
        problem = assert_problem(response, 422, reason)
        assert problem["errors"][0]["loc"] == ["body", "target_url"]
    assert client.get("/api/v1/links", headers=account.headers).json()["count"] == 0


INVALID_BODIES = [
    {"target_url": "https://e.com/", "redirect_status": 303},
    {"target_url": "https://e.com/", "max_clicks": 0},
    {"target_url": "https://e.com/", "expires_at": "2030-01-01T00:00:00"},
    {"target_url": "https://e.com/", "tags": ["a,b"]},
    {"target_url": "https://e.com/", "owner_id": 1},
    {"target_url": 5},
    # Postgres cannot store NUL; line breaks in a title or tag are never meant.
    {"target_url": "https://e.com/", "title": "a\x00b"},
    {"target_url": "https://e.com/", "title": "two\nlines"},
    {"target_url": "https://e.com/", "tags": ["ok", "nul\x00"]},
]


def test_invalid_fields_are_422(client: TestClient, alice: Account) -> None:
    for body in INVALID_BODIES:
        assert_problem(client.post("/api/v1/links", json=body, headers=alice.headers), 422, "validation_failed")
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0


def test_update_any_field_but_the_code(client: TestClient, alice: Account, settings: Settings) -> None:
    link = create(client, alice, code="upd", title="old", max_clicks=5, expires_at="2099-01-01T00:00:00Z")
    changed = client.patch(
        "/api/v1/links/upd",
        json={
            "target_url": "https://example.org/new",
            "redirect_status": 301,
            "title": None,
            "max_clicks": None,
            "expires_at": None,
            "forward_query": True,
            "tags": ["x"],
        },
        headers=alice.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["target_url"] == "https://example.org/new"
    assert (body["redirect_status"], body["title"], body["max_clicks"], body["expires_at"]) == (301, None, None, None)
    assert body["tags"] == ["x"] and body["forward_query"] is True
    assert body["updated_at"] > link["updated_at"]
    record = edge_record(settings, "upd")
    assert isinstance(record, LinkRecord)
    assert (record.target, record.status, record.version) == ("https://example.org/new", 301, 2)

    refused = client.patch("/api/v1/links/upd", json={"code": "other"}, headers=alice.headers)
    assert "cannot be changed" in assert_problem(refused, 422, "validation_failed")["detail"]
    assert_problem(client.patch("/api/v1/links/upd", json={"redirect_status": None}, headers=alice.headers), 422)
    bad_target = client.patch("/api/v1/links/upd", json={"target_url": "ftp://x.example/"}, headers=alice.headers)
    assert_problem(bad_target, 422, "scheme")
    # None of the refused changes touched the stored link.
    assert client.get("/api/v1/links/upd", headers=alice.headers).json() == body


def test_disable_enable_and_delete_reach_the_edge(client: TestClient, alice: Account, settings: Settings) -> None:
    create(client, alice, code="toggle")
    disabled = client.post("/api/v1/links/toggle/disable", headers=alice.headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert edge_record(settings, "toggle") == NEGATIVE

    enabled = client.post("/api/v1/links/toggle/enable", headers=alice.headers)
    assert enabled.json()["disabled"] is False
    assert isinstance(edge_record(settings, "toggle"), LinkRecord)

    assert client.delete("/api/v1/links/toggle", headers=alice.headers).status_code == 204
    assert edge_record(settings, "toggle") == NEGATIVE
    assert_problem(client.get("/api/v1/links/toggle", headers=alice.headers), 404, "link_not_found")
    assert_problem(client.delete("/api/v1/links/toggle", headers=alice.headers), 404, "link_not_found")


def test_changes_commit_while_redis_is_down(settings_factory: SettingsFactory, client_factory: ClientFactory) -> None:
    # Nothing listens on this port: every Redis call fails fast.
    settings = settings_factory(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    client = client_factory(settings)
    account = sign_up(client, "offline@example.com")
    created = client.post(
        "/api/v1/links", json={"target_url": "https://e.com/", "code": "nored"}, headers=account.headers
    )
    assert created.status_code == 201
    assert client.patch("/api/v1/links/nored", json={"title": "t"}, headers=account.headers).json()["title"] == "t"
    assert client.get("/api/v1/links/nored", headers=account.headers).json()["title"] == "t"
    assert client.delete("/api/v1/links/nored", headers=account.headers).status_code == 204
    assert client.get("/readyz").json() == {"status": "ok", "postgres": "ok", "redis": "unavailable"}


def test_qr_codes(client: TestClient, alice: Account) -> None:
    create(client, alice, code="qr")
    svg = client.get("/api/v1/links/qr/qr?format=svg&size=300", headers=alice.headers)
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and "http://127.0.0.1:8000/qr" in svg.text

    small = client.get("/api/v1/links/qr/qr?format=png&size=64", headers=alice.headers)
    large = client.get("/api/v1/links/qr/qr?format=png&size=1024", headers=alice.headers)
    assert small.headers["content-type"] == "image/png"
    assert small.content.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(large.content[16:20], "big")
    assert 700 <= width <= 1024
    assert int.from_bytes(small.content[16:20], "big") < width

    assert_problem(client.get("/api/v1/links/qr/qr?format=gif", headers=alice.headers), 422)
    assert_problem(client.get("/api/v1/links/qr/qr?size=100000", headers=alice.headers), 422)
    assert_problem(client.get("/api/v1/links/nope/qr", headers=alice.headers), 404, "link_not_found")


def test_nul_in_search_parameters_is_422(client: TestClient, alice: Account) -> None:
    for params in ({"q": "a\x00"}, {"tag": "\x00"}):
        assert_problem(client.get("/api/v1/links", params=params, headers=alice.headers), 422, "validation_failed")


# Spellings that a browser reads as a blocked domain or as the short domain itself (WHATWG URL parsing).
HOSTILE_TARGETS = {
    "blocked_domain": [
        "https://%62locked.example/",
        "https://blocked%2eexample/",
        "https:\\\\blocked.example\\x",
        "https:/\\Blocked.Example./x",
        "https://sub.blocked.example../",
        "https://ｂｌｏｃｋｅｄ。example/",
        "https://BÜCHER.example/",
        "https://xn--bcher-kva.example/",
    ],
    "loop": [
        "https://hop%2eexample/x",
        "https://HOP.example./x",
        "https:hop.example/x",
        "http://%68op.example:8080/x",
        "https://www.hop。example/x",
    ],
}


def test_hostile_spellings_of_blocked_and_short_domains_are_refused(
    settings_factory: SettingsFactory, client_factory: ClientFactory
) -> None:
    settings = settings_factory(blocked_domains="Blocked.Example.,Bücher.Example", short_base_url="https://hop.example")
    client = client_factory(settings)
    account = sign_up(client, "hostile@example.com")
    create(client, account, code="kept")
    for reason, targets in HOSTILE_TARGETS.items():
        for target in targets:
            created = client.post("/api/v1/links", json={"target_url": target}, headers=account.headers)
            assert assert_problem(created, 422, reason)["errors"][0]["loc"] == ["body", "target_url"], target
            changed = client.patch("/api/v1/links/kept", json={"target_url": target}, headers=account.headers)
            assert_problem(changed, 422, reason)
        bulk = client.post(
            "/api/v1/links/bulk", json={"links": [{"target_url": t} for t in targets]}, headers=account.headers
        )
        assert [r["error"]["code"] for r in bulk.json()["results"]] == [reason] * len(targets)
    assert client.get("/api/v1/links", headers=account.headers).json()["count"] == 1
    assert client.get("/api/v1/links/kept", headers=account.headers).json()["target_url"] == "https://example.com/page"


CANONICAL_TARGETS = {
    "http://0x7f.0.0.2/x": "http://127.0.0.2/x",
    "https:\\\\Example.COM.\\a b": "https://example.com./a%20b",
    "https://%65xample.com:443/p/../q": "https://example.com/q",
    "https://ｅｘａｍｐｌｅ。com/ü?q=ü#ü": "https://example.com/%C3%BC?q=%C3%BC#%C3%BC",
}


@pytest.mark.e2e
def test_the_canonical_target_is_stored_and_redirected_to(
    client: TestClient, alice: Account, settings: Settings, edge_factory: ProcessFactory
) -> None:
    edge = edge_factory(settings)
    for n, (target, canonical) in enumerate(CANONICAL_TARGETS.items()):
        code = f"canon{n}"
        assert create(client, alice, target_url=target, code=code)["target_url"] == canonical
        assert client.get(f"/api/v1/links/{code}", headers=alice.headers).json()["target_url"] == canonical
        assert sql(settings, "SELECT target_url FROM links WHERE code = $1", code)[0][0] == canonical
        record = wait_until(partial(edge_record, settings, code), lambda r: isinstance(r, LinkRecord))
        assert isinstance(record, LinkRecord) and record.target == canonical
        redirect = httpx.get(f"{edge.url}/{code}", follow_redirects=False)
        assert (redirect.status_code, redirect.headers["location"]) == (302, canonical)


def test_a_past_expiry_is_refused_on_create(client: TestClient, alice: Account) -> None:
    now = datetime.now(UTC)
    for expires in (now - timedelta(days=1), now, datetime(2020, 1, 1, tzinfo=UTC)):
        body = {"target_url": "https://example.com/", "expires_at": expires.isoformat()}
        problem = assert_problem(client.post("/api/v1/links", json=body, headers=alice.headers), 422)
        assert problem["code"] == "validation_failed"
        assert problem["errors"][0]["loc"] == ["body", "expires_at"]
        assert "not in the future" in problem["detail"]
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 0
    future = (now + timedelta(minutes=5)).isoformat()
    assert create(client, alice, expires_at=future)["expires_at"] is not None


def test_a_past_expiry_is_refused_in_bulk_and_csv_imports(client: TestClient, alice: Account) -> None:
    past, future = "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
    items = [{"target_url": "https://example.com/", "expires_at": when} for when in (past, future)]
    bulk = client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers).json()
    assert [r["ok"] or r["error"]["code"] for r in bulk["results"]] == ["validation_failed", True]
    assert "expires_at" in bulk["results"][0]["error"]["detail"]

    text = f"target_url,expires_at\r\nhttps://example.com/1,{past}\r\nhttps://example.com/2,{future}\r\n"
    headers = {**alice.headers, "Content-Type": "text/csv"}
    imported = client.post("/api/v1/links/import.csv", content=text, headers=headers).json()
    assert [r["ok"] or r["error"]["code"] for r in imported["results"]] == ["validation_failed", True]
    assert client.get("/api/v1/links", headers=alice.headers).json()["count"] == 2


def test_a_past_expiry_is_refused_on_update(client: TestClient, alice: Account) -> None:
    link = create(client, alice, code="later", expires_at="2099-01-01T00:00:00Z")
    for expires in ("2020-01-01T00:00:00Z", datetime.now(UTC).isoformat()):
        changed = client.patch("/api/v1/links/later", json={"expires_at": expires}, headers=alice.headers)
        problem = assert_problem(changed, 422, "validation_failed")
        assert "disable" in problem["detail"]
    assert client.get("/api/v1/links/later", headers=alice.headers).json() == link
    # Clearing the expiry, or moving it to another future time, is still allowed.
    cleared = client.patch("/api/v1/links/later", json={"expires_at": None}, headers=alice.headers)
    assert cleared.status_code == 200 and cleared.json()["expires_at"] is None


def test_hop_link_add_refuses_a_past_expiry(settings: Settings) -> None:
    args = ("link", "add", "https://example.com/", "--code", "old", "--expires", "2020-01-01T00:00Z")
    refused = run_hop(settings, *args)
    assert refused.returncode == 1
    assert "expires_at" in refused.stderr and "not in the future" in refused.stderr
    assert sql(settings, "SELECT count(*) FROM links")[0][0] == 0
