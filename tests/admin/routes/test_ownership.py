"""No user can read or change another user's links (IDOR), on any endpoint; admins can."""

from __future__ import annotations

from starlette.testclient import TestClient

from common.records import LinkRecord
from common.settings import Settings
from tests.admin.api import Account, assert_problem
from tests.admin.routes.test_links import create, edge_record

# Every endpoint that names a link, with a body where it needs one.
LINK_ENDPOINTS = [
    ("GET", "/api/v1/links/{code}", None),
    ("PATCH", "/api/v1/links/{code}", {"target_url": "https://attacker.example/"}),
    ("PATCH", "/api/v1/links/{code}", {"disabled": True}),
    ("POST", "/api/v1/links/{code}/disable", None),
    ("POST", "/api/v1/links/{code}/enable", None),
    ("GET", "/api/v1/links/{code}/qr", None),
    ("GET", "/api/v1/links/{code}/qr?format=png", None),
    ("DELETE", "/api/v1/links/{code}", None),
]


def test_another_users_link_is_404_and_untouched(
    client: TestClient, alice: Account, bob: Account, settings: Settings
) -> None:
    link = create(client, alice, code="alices")
    for method, path, body in LINK_ENDPOINTS:
        for headers in (bob.headers, {"X-API-Key": _api_key(client, bob)}):
            response = client.request(method, path.format(code="alices"), json=body, headers=headers)
            problem = assert_problem(response, 404, "link_not_found")
            # Indistinguishable from a code that does not exist at all.
            missing = client.request(method, path.format(code="nosuch"), json=body, headers=headers)
            assert assert_problem(missing, 404)["detail"] == problem["detail"].replace("alices", "nosuch")

    assert client.get("/api/v1/links/alices", headers=alice.headers).json() == link
    record = edge_record(settings, "alices")
    assert isinstance(record, LinkRecord) and record.target == link["target_url"]


def _api_key(client: TestClient, account: Account) -> str:
    key: str = client.post("/api/v1/api-keys", json={"name": "k"}, headers=account.headers).json()["key"]
    return key


def test_lists_and_exports_show_only_own_links(client: TestClient, alice: Account, bob: Account) -> None:
    create(client, alice, code="a1", title="shared words")
    create(client, bob, code="b1", title="shared words")
    for account, own in ((alice, "a1"), (bob, "b1")):
        page = client.get("/api/v1/links", params={"q": "shared"}, headers=account.headers).json()
        assert [link["code"] for link in page["data"]] == [own] and page["count"] == 1
        # owner_id is an admin's filter: a user asking for another's links still gets only their own.
        other = bob.id if account is alice else alice.id
        page = client.get("/api/v1/links", params={"owner_id": other}, headers=account.headers).json()
        assert [link["code"] for link in page["data"]] == [own]
        exported = client.get("/api/v1/links/export.csv", headers=account.headers).text
        assert f"\r\n{own}," in exported and exported.count("\r\n") == 2


def test_admins_see_and_change_all_links(client: TestClient, alice: Account, bob: Account, root: Account) -> None:
    create(client, alice, code="a1")
    create(client, bob, code="b1")
    page = client.get("/api/v1/links", headers=root.headers).json()
    assert {link["code"] for link in page["data"]} == {"a1", "b1"}
    only_bob = client.get("/api/v1/links", params={"owner_id": bob.id}, headers=root.headers).json()
    assert [link["code"] for link in only_bob["data"]] == ["b1"]
    assert client.get("/api/v1/links/a1", headers=root.headers).status_code == 200
    assert client.post("/api/v1/links/a1/disable", headers=root.headers).json()["disabled"] is True
    assert client.delete("/api/v1/links/b1", headers=root.headers).status_code == 204
    export = client.get("/api/v1/links/export.csv", headers=root.headers).text
    assert "\r\na1," in export
