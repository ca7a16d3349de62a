"""Short domains through the API: adding, listing, redirects, removing; links on a domain, found by
their code and ``?domain=``; the edge key each is pushed to Redis under."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import redis
from httpx2 import Response
from starlette.testclient import TestClient

from common.domains import DOMAINS_CHANGED
from common.records import Keys, LinkRecord
from common.settings import Settings
from harness.processes import run_hop
from tests.admin.api import Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.admin.routes.test_links import edge_record
from tests.conftest import SettingsFactory

DOMAINS = "/api/v1/domains"
LINKS = "/api/v1/links"
SHORT_BASE = "https://hop.example"


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(short_base_url=SHORT_BASE, blocked_domains="blocked.example")


def add_domain(client: TestClient, admin: Account, host: str, **redirects: str) -> dict[str, object]:
    response = client.post(DOMAINS, json={"host": host, **redirects}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def create(client: TestClient, account: Account, **body: object) -> Response:
    body.setdefault("target_url", "https://example.com/page")
    return client.post(LINKS, json=body, headers=account.headers)


def created(client: TestClient, account: Account, **body: object) -> dict[str, object]:
    response = create(client, account, **body)
    assert response.status_code == 201, response.text
    link: dict[str, object] = response.json()
    return link


def hosts(client: TestClient, account: Account) -> list[tuple[str, bool]]:
    answer = client.get(DOMAINS, headers=account.headers)
    assert answer.status_code == 200, answer.text
    return [(domain["host"], domain["is_default"]) for domain in answer.json()["data"]]


@pytest.fixture
def announcements(settings: Settings) -> Iterator[redis.client.PubSub]:
    """The invalidation channel, subscribed before the test acts."""
    client = redis.Redis.from_url(str(settings.redis_url))
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe(Keys(settings.redis_prefix).invalidate_channel)
    # Subscribed once Redis confirms it: a publish before that would be missed.
    confirmed = pubsub.get_message(timeout=5.0)
    assert confirmed is not None and confirmed["type"] == "subscribe"
    yield pubsub
    pubsub.close()
    client.close()


def next_announcement(pubsub: redis.client.PubSub) -> bytes:
    message = pubsub.get_message(timeout=5.0)
    assert message is not None, "no message on the invalidation channel within 5 s"
    data: bytes = message["data"]
    return data


def test_the_default_domain_comes_first_and_admins_see_link_counts(
    client: TestClient, root: Account, alice: Account
) -> None:
    assert hosts(client, alice) == [("hop.example", True)]
    add_domain(client, root, "go.example")
    add_domain(client, root, "a.example")
    created(client, alice, code="one", domain="go.example")
    assert hosts(client, alice) == [("hop.example", True), ("a.example", False), ("go.example", False)]
    as_admin = {d["host"]: d["links"] for d in client.get(DOMAINS, headers=root.headers).json()["data"]}
    assert as_admin == {"hop.example": None, "a.example": 0, "go.example": 1}
    as_user = {d["host"]: d["links"] for d in client.get(DOMAINS, headers=alice.headers).json()["data"]}
    assert set(as_user.values()) == {None}
    assert_problem(client.get(DOMAINS), 401)


def test_only_admins_change_domains(client: TestClient, root: Account, alice: Account) -> None:
    add_domain(client, root, "go.example")
    for response in (
        client.post(DOMAINS, json={"host": "mine.example"}, headers=alice.headers),
        client.patch(f"{DOMAINS}/go.example", json={"base_redirect": None}, headers=alice.headers),
        client.delete(f"{DOMAINS}/go.example", headers=alice.headers),
    ):
        assert_problem(response, 403, "admin_required")
    assert hosts(client, alice) == [("hop.example", True), ("go.example", False)]


def test_a_change_is_audited_and_announced_to_the_edges(
    client: TestClient, root: Account, settings: Settings, announcements: redis.client.PubSub
) -> None:
    add_domain(client, root, "go.example")
    assert next_announcement(announcements) == DOMAINS_CHANGED.encode()
    changed = client.patch(
        f"{DOMAINS}/go.example", json={"not_found_redirect": "https://example.com/404"}, headers=root.headers
    )
    assert changed.status_code == 200, changed.text
    assert next_announcement(announcements) == DOMAINS_CHANGED.encode()
    assert client.delete(f"{DOMAINS}/go.example", headers=root.headers).status_code == 204
    assert next_announcement(announcements) == DOMAINS_CHANGED.encode()

    entries = client.get("/api/v1/audit", params={"entity_type": "domain"}, headers=root.headers).json()["data"]
    assert [(e["action"], e["entity_code"], e["actor_id"]) for e in entries] == [
        ("domain.delete", "go.example", root.id),
        ("domain.update", "go.example", root.id),
        ("domain.create", "go.example", root.id),
    ]
    assert entries[1]["old_values"] == {"not_found_redirect": None}
    assert entries[1]["new_values"] == {"not_found_redirect": "https://example.com/404"}


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("HOST.COM.", "host.com"),
        ("  Go.Example  ", "go.example"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("ｇｏ.example", "go.example"),  # full-width letters, as browsers map them
        ("go.example:443", "go.example"),
        ("go.example:80", "go.example"),
        ("links.example:8443", "links.example:8443"),
        ("localhost:8081", "localhost:8081"),
    ],
)
def test_hosts_are_read_as_a_browser_reads_them(client: TestClient, root: Account, typed: str, host: str) -> None:
    assert add_domain(client, root, typed)["host"] == host
    assert_problem(client.post(DOMAINS, json={"host": host}, headers=root.headers), 409, "domain_exists")


@pytest.mark.parametrize(
    "typed",
    [
        "evil.com/path",
        "evil.com/",
        "user@host.example",
        "user:pass@host.example",
        "https://go.example",
        "go.example?x=1",
        "go.example#top",
        "go example",
        "go.example\\x",
        "*.example",
        "under_score.example",
        "1.2.3.4",
        "127.1",
        "[::1]",
        "go.example:0",
        "go.example:99999",
        "-dash.example",
        "a" * 64 + ".example",
        "",
        " ",
        "go.exa\nmple",
        "go.123",
    ],
)
def test_anything_but_a_dns_name_is_refused(client: TestClient, root: Account, typed: str) -> None:
    problem = assert_problem(client.post(DOMAINS, json={"host": typed}, headers=root.headers), 422)
    assert problem["code"] in ("invalid_domain", "validation_failed"), problem
    assert problem["errors"][0]["loc"] == ["body", "host"]
    assert hosts(client, root) == [("hop.example", True)]


def test_the_default_domain_is_not_added_nor_removed(client: TestClient, root: Account) -> None:
    assert_problem(client.post(DOMAINS, json={"host": "HOP.example."}, headers=root.headers), 409, "default_domain")
    assert_problem(client.delete(f"{DOMAINS}/hop.example", headers=root.headers), 409, "default_domain")
    assert_problem(client.delete(f"{DOMAINS}/nope.example", headers=root.headers), 404, "domain_not_found")
    assert_problem(client.delete(f"{DOMAINS}/not a domain", headers=root.headers), 404, "domain_not_found")
    patch = client.patch(f"{DOMAINS}/nope.example", json={"base_redirect": None}, headers=root.headers)
    assert_problem(patch, 404, "domain_not_found")


def test_the_default_domain_s_redirects(client: TestClient, root: Account, settings: Settings) -> None:
    changed = client.patch(
        f"{DOMAINS}/HOP.example",
        json={"base_redirect": "HTTPS://Example.COM", "not_found_redirect": "https://example.com/nf"},
        headers=root.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() | {"created_at": None, "updated_at": None} == {
        "host": "hop.example",
        "is_default": True,
        "base_redirect": "https://example.com/",
        "not_found_redirect": "https://example.com/nf",
        "created_at": None,
        "updated_at": None,
        "links": None,
    }
    listed = client.get(DOMAINS, headers=root.headers).json()["data"]
    assert (listed[0]["host"], listed[0]["base_redirect"]) == ("hop.example", "https://example.com/")
    cleared = client.patch(f"{DOMAINS}/hop.example", json={"base_redirect": None}, headers=root.headers).json()
    assert (cleared["base_redirect"], cleared["not_found_redirect"]) == (None, "https://example.com/nf")
    # Its row only holds the redirects: it is still the default domain, listed once, with no links of its own.
    assert hosts(client, root) == [("hop.example", True)]
    assert sql(settings, "SELECT host FROM domains")[0]["host"] == "hop.example"
    created(client, root, code="plain")
    assert sql(settings, "SELECT domain FROM links WHERE code = 'plain'")[0]["domain"] is None


def test_redirects_are_checked_as_link_targets_are(client: TestClient, root: Account) -> None:
    def refused(body: dict[str, object], reason: str, field: str) -> None:
        problem = assert_problem(client.post(DOMAINS, json={"host": "go.example", **body}, headers=root.headers), 422)
        assert problem["code"] == reason, problem
        assert problem["errors"][0]["loc"] == ["body", field]

    refused({"base_redirect": "javascript:alert(1)"}, "scheme", "base_redirect")
    refused({"not_found_redirect": "https://go.example/x"}, "loop", "not_found_redirect")  # the domain itself
    refused({"not_found_redirect": "https://HOP.example/x"}, "loop", "not_found_redirect")  # the default one
    refused({"base_redirect": "https://blocked.example/"}, "blocked_domain", "base_redirect")
    add_domain(client, root, "go.example")
    patch = client.patch(f"{DOMAINS}/go.example", json={"base_redirect": "https://x.go.example/"}, headers=root.headers)
    assert_problem(patch, 422, "loop")
    body = {"host": "other.example", "base_redirect": "https://go.example/"}
    assert_problem(client.post(DOMAINS, json=body, headers=root.headers), 422, "loop")  # every short domain
    assert_problem(client.patch(f"{DOMAINS}/go.example", json={"host": "x.example"}, headers=root.headers), 422)


def test_the_same_code_on_two_domains(client: TestClient, root: Account, alice: Account, settings: Settings) -> None:
    add_domain(client, root, "go.example")
    plain = created(client, alice, code="abc", target_url="https://example.com/default")
    other = created(client, alice, code="abc", domain="GO.example.", target_url="https://example.com/go")
    assert (plain["domain"], plain["short_url"]) == (None, "https://hop.example/abc")
    assert (other["domain"], other["short_url"]) == ("go.example", "https://go.example/abc")
    assert_problem(create(client, alice, code="abc", domain="go.example"), 409, "code_taken")

    record = edge_record(settings, "go.example/abc")
    assert isinstance(record, LinkRecord) and record.target == "https://example.com/go"
    with redis.Redis.from_url(str(settings.redis_url)) as raw:
        assert raw.get(Keys(settings.redis_prefix).link("go.example/abc")) is not None
    default_record = edge_record(settings, "abc")
    assert isinstance(default_record, LinkRecord) and default_record.target == "https://example.com/default"

    on_go = {"domain": "go.example"}
    assert client.get(f"{LINKS}/abc", headers=alice.headers).json()["target_url"] == "https://example.com/default"
    assert (
        client.get(f"{LINKS}/abc", params=on_go, headers=alice.headers).json()["target_url"] == "https://example.com/go"
    )
    assert client.get(f"{LINKS}/abc", params={"domain": ""}, headers=alice.headers).json()["domain"] is None
    assert client.get(f"{LINKS}/abc", params={"domain": "hop.example"}, headers=alice.headers).json()["domain"] is None

    patched = client.patch(f"{LINKS}/abc", params=on_go, json={"title": "Go"}, headers=alice.headers).json()
    assert (patched["domain"], patched["title"]) == ("go.example", "Go")
    assert client.get(f"{LINKS}/abc", headers=alice.headers).json()["title"] is None
    disabled = client.post(f"{LINKS}/abc/disable", params=on_go, headers=alice.headers).json()
    assert disabled["disabled"] is True
    assert edge_record(settings, "go.example/abc") == b"-"  # the tombstone, under the domain's key
    assert isinstance(edge_record(settings, "abc"), LinkRecord)
    assert client.post(f"{LINKS}/abc/enable", params=on_go, headers=alice.headers).json()["disabled"] is False

    analytics = client.get(f"{LINKS}/abc/analytics", params=on_go, headers=alice.headers)
    assert analytics.status_code == 200, analytics.text
    assert (analytics.json()["code"], analytics.json()["domain"]) == ("abc", "go.example")
    assert client.get(f"{LINKS}/abc/clicks", params=on_go, headers=alice.headers).status_code == 200
    clicks_csv = client.get(f"{LINKS}/abc/clicks.csv", params=on_go, headers=alice.headers)
    assert clicks_csv.status_code == 200
    assert 'filename="clicks-go.example-abc.csv"' in clicks_csv.headers["content-disposition"]
    qr = client.get(f"{LINKS}/abc/qr", params=on_go, headers=alice.headers)
    assert (qr.status_code, qr.headers["content-type"]) == (200, "image/svg+xml")

    assert client.delete(f"{LINKS}/abc", params=on_go, headers=alice.headers).status_code == 204
    assert_problem(client.get(f"{LINKS}/abc", params=on_go, headers=alice.headers), 404, "link_not_found")
    assert client.get(f"{LINKS}/abc", headers=alice.headers).status_code == 200
    assert edge_record(settings, "go.example/abc") == b"-"
    entries = client.get("/api/v1/audit", params={"entity_code": "go.example/abc"}, headers=root.headers).json()
    assert entries["data"][0]["action"] == "link.delete"


def test_a_domain_that_does_not_exist(client: TestClient, root: Account, alice: Account) -> None:
    problem = assert_problem(create(client, alice, domain="nope.example"), 422, "unknown_domain")
    assert problem["errors"][0]["loc"] == ["body", "domain"]
    assert_problem(create(client, alice, domain="evil.com/path"), 422, "unknown_domain")
    created(client, alice, code="abc")
    assert_problem(client.get(f"{LINKS}/abc", params={"domain": "nope.example"}, headers=alice.headers), 404)
    bad = assert_problem(client.get(f"{LINKS}/abc", params={"domain": "a/b"}, headers=alice.headers), 422)
    assert (bad["code"], bad["errors"][0]["loc"]) == ("invalid_domain", ["query", "domain"])
    assert_problem(client.patch(f"{LINKS}/abc", params={"domain": "x@y"}, json={}, headers=alice.headers), 422)
    bulk = client.post(
        f"{LINKS}/bulk",
        json={
            "links": [
                {"target_url": "https://example.com/1", "domain": "nope.example"},
                {"target_url": "https://e.com/"},
            ]
        },
        headers=alice.headers,
    ).json()
    assert [(r["ok"], (r["error"] or {}).get("code")) for r in bulk["results"]] == [
        (False, "unknown_domain"),
        (True, None),
    ]


def test_a_link_never_moves_to_another_domain(client: TestClient, root: Account, alice: Account) -> None:
    add_domain(client, root, "go.example")
    created(client, alice, code="abc")
    moved = client.patch(f"{LINKS}/abc", json={"domain": "go.example"}, headers=alice.headers)
    assert "cannot move" in assert_problem(moved, 422, "validation_failed")["detail"]


def test_a_domain_links_use_is_not_removed(
    client: TestClient, root: Account, alice: Account, settings: Settings
) -> None:
    add_domain(client, root, "go.example")
    for code in ("one", "two"):
        created(client, alice, code=code, domain="go.example")
    problem = assert_problem(client.delete(f"{DOMAINS}/go.example", headers=root.headers), 409, "domain_in_use")
    assert "2 links use 'go.example'" in problem["detail"]
    actions = {"action": "delete", "codes": ["one", "two"], "domain": "go.example"}
    done = client.post(f"{LINKS}/actions", json=actions, headers=alice.headers).json()
    assert done["succeeded"] == 2
    assert [(r["code"], r["domain"]) for r in done["results"]] == [("one", "go.example"), ("two", "go.example")]
    assert client.delete(f"{DOMAINS}/Go.Example", headers=root.headers).status_code == 204
    assert sql(settings, "SELECT count(*) FROM domains")[0]["count"] == 0
    assert_problem(create(client, alice, domain="go.example"), 422, "unknown_domain")


def test_no_link_points_at_any_short_domain(client: TestClient, root: Account, alice: Account) -> None:
    add_domain(client, root, "go.example:8443")
    for target in ("https://go.example/x", "http://www.go.example:8080/", "https://hop.example/x"):
        assert_problem(create(client, alice, target_url=target), 422, "loop")
    created(client, alice, code="ok")
    assert_problem(client.patch(f"{LINKS}/ok", json={"target_url": "https://go.example/"}, headers=alice.headers), 422)
    rules = [{"conditions": {"devices": ["mobile"]}, "target": "https://go.example/m"}]
    routed = client.patch(f"{LINKS}/ok", json={"rules": rules}, headers=alice.headers)
    assert assert_problem(routed, 422, "loop")["errors"][0]["loc"] == ["body", "rules", 0, "target"]


def test_lists_exports_and_imports_carry_the_domain(client: TestClient, root: Account, alice: Account) -> None:
    add_domain(client, root, "go.example")
    created(client, alice, code="home")
    for _ in range(3):  # random codes on a domain
        assert len(str(created(client, alice, domain="go.example")["code"])) >= 7
    every = client.get(LINKS, headers=alice.headers).json()
    assert every["count"] == 4
    on_go = client.get(LINKS, params={"domain": "go.example"}, headers=alice.headers).json()
    assert on_go["count"] == 3 and {link["domain"] for link in on_go["data"]} == {"go.example"}
    on_default = client.get(LINKS, params={"domain": ""}, headers=alice.headers).json()
    assert [link["code"] for link in on_default["data"]] == ["home"]
    assert_problem(client.get(LINKS, params={"domain": "a b"}, headers=alice.headers), 422, "invalid_domain")

    exported = client.get(f"{LINKS}/export.csv", headers=alice.headers).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {(row["domain"], row["short_url"].rsplit("/", 1)[0]) for row in rows} == {
        ("", "https://hop.example"),
        ("go.example", "https://go.example"),
    }
    # The export imports as is: the same codes exist, each on its domain.
    again = client.post(f"{LINKS}/import.csv", content=exported.encode(), headers=alice.headers).json()
    assert {r["error"]["code"] for r in again["results"]} == {"code_taken"}
    new = "code,domain,target_url\r\nhome,go.example,https://example.com/h\r\nx,nope.example,https://example.com/\r\n"
    imported = client.post(f"{LINKS}/import.csv", content=new.encode(), headers=alice.headers).json()
    first = imported["results"][0]
    assert (first["ok"], first["link"]["short_url"]) == (True, "https://go.example/home")
    assert imported["results"][1]["error"]["code"] == "unknown_domain"


def test_hop_domain_and_hop_link_on_the_command_line(settings: Settings) -> None:
    added = run_hop(settings, "domain", "add", "Go.Example.", "--not-found-redirect", "https://example.com/")
    assert added.returncode == 0, added.stderr
    assert "added go.example" in added.stdout
    link = run_hop(settings, "link", "add", "https://example.com/cli", "--code", "cli", "--domain", "go.example")
    assert link.returncode == 0, link.stderr
    assert link.stdout.startswith("https://go.example/cli -> https://example.com/cli")
    shown = run_hop(settings, "link", "show", "cli", "--domain", "go.example")
    assert "domain: go.example" in shown.stdout
    assert run_hop(settings, "link", "show", "cli").returncode == 1  # not on the default domain
    listed = run_hop(settings, "domain", "list").stdout.splitlines()
    assert listed == ["hop.example (default)", "go.example, 1 links, not found -> https://example.com/"]
    in_use = run_hop(settings, "domain", "rm", "go.example")
    assert (in_use.returncode, "1 link uses" in in_use.stderr) == (1, True)
    assert run_hop(settings, "link", "rm", "cli", "--domain", "go.example").returncode == 0
    assert run_hop(settings, "domain", "remove", "go.example").returncode == 0
    assert run_hop(settings, "domain", "add", "evil.com/path").returncode == 1


def test_a_default_domain_that_is_an_ip_address_is_named_like_any(
    client_factory: ClientFactory, settings_factory: SettingsFactory
) -> None:
    settings = settings_factory(short_base_url="http://127.0.0.1:8000")  # a local set-up
    client = client_factory(settings)
    root = sign_up(client, "root@example.com")
    sql(settings, "UPDATE users SET role = 'admin' WHERE id = $1", root.id)
    assert created(client, root, code="abc", domain="127.0.0.1:8000")["domain"] is None
    assert client.get(f"{LINKS}/abc", params={"domain": "127.0.0.1:8000"}, headers=root.headers).status_code == 200
    changed = client.patch(
        f"{DOMAINS}/127.0.0.1:8000", json={"base_redirect": "https://example.com/"}, headers=root.headers
    )
    assert (changed.status_code, changed.json()["is_default"]) == (200, True)
    assert_problem(client.post(DOMAINS, json={"host": "127.0.0.1:8000"}, headers=root.headers), 409, "default_domain")
    assert_problem(client.post(DOMAINS, json={"host": "127.0.0.2"}, headers=root.headers), 422, "invalid_domain")
