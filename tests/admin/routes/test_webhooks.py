"""/api/v1/webhooks: endpoints with a secret shown once, URLs that must resolve to public addresses
(unless an admin allowed the network), per-user ownership and bounds, and the delivery log."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import Account, assert_problem, sign_up
from tests.admin.conftest import ClientFactory
from tests.conftest import SettingsFactory

RECEIVER = "http://127.0.0.1:9/hooks"  # allowed by this module's settings; nothing needs to listen


@pytest.fixture
def settings(settings_factory: SettingsFactory) -> Settings:
    return settings_factory(webhook_allowed_networks="127.0.0.0/8")


def create(client: TestClient, account: Account, **body: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/webhooks", json={"url": RECEIVER, "events": ["click"]} | body, headers=account.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_the_secret_is_shown_at_creation_and_rotation_only(client: TestClient, alice: Account) -> None:
    created = create(client, alice, events=["link.deleted", "click", "click"], description="CRM sync")
    secret = str(created.pop("secret"))
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created | {"id": 0, "created_at": "-", "updated_at": "-"} == {
        "id": 0,
        "url": RECEIVER,
        "events": ["click", "link.deleted"],
        "description": "CRM sync",
        "enabled": True,
        "disabled_reason": None,
        "consecutive_failures": 0,
        "created_at": "-",
        "updated_at": "-",
    }
    listed = client.get("/api/v1/webhooks", headers=alice.headers).json()
    assert [hook["id"] for hook in listed] == [created["id"]] and "secret" not in listed[0]
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/secret", headers=alice.headers).json()["secret"]
    assert rotated != secret and rotated.startswith("whsec_")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/x", "127.0.0.1 is a loopback address"),
        ("http://localhost:8080/", "localhost resolves to "),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://[::ffff:192.168.0.1]/", "is a private address"),  # an IPv4 address in IPv6 clothing
        ("http://0.0.0.0/", "0.0.0.0 is"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address:"),
        ("ftp://example.com/", "only http:// and https://"),
        ("http://user:pw@example.com/", "must not carry a user name or password"),
        ("http://nothing.invalid/", "nothing.invalid cannot be resolved"),
    ],
)
def test_urls_that_do_not_reach_a_public_address_are_refused(
    client_factory: ClientFactory, settings_factory: SettingsFactory, url: str, reason: str
) -> None:
    client = client_factory(settings_factory())  # no network allowed beyond the public ones
    alice = sign_up(client, "alice@example.com")
    problem = assert_problem(
        client.post("/api/v1/webhooks", json={"url": url, "events": ["click"]}, headers=alice.headers),
        422,
        "webhook_url_refused",
    )
    assert reason in problem["detail"]


def test_events_must_be_known_and_not_empty(client: TestClient, alice: Account) -> None:
    for events in ([], ["click", "link.exploded"]):
        response = client.post("/api/v1/webhooks", json={"url": RECEIVER, "events": events}, headers=alice.headers)
        assert_problem(response, 422)


def test_endpoints_are_their_owners_alone_and_api_keys_cannot_manage_them(
    client: TestClient, alice: Account, bob: Account
) -> None:
    hook = create(client, alice)
    for method, path in (
        ("GET", f"/api/v1/webhooks/{hook['id']}"),
        ("PATCH", f"/api/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/api/v1/webhooks/{hook['id']}"),
        ("POST", f"/api/v1/webhooks/{hook['id']}/secret"),
        ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries"),
    ):
        response = client.request(method, path, json={} if method == "PATCH" else None, headers=bob.headers)
        assert_problem(response, 404, "webhook_not_found")
    key = client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["links:write"]}, headers=alice.headers)
    assert client.get("/api/v1/webhooks", headers={"X-API-Key": key.json()["key"]}).status_code == 403


def test_at_most_twenty_endpoints_per_user(client: TestClient, alice: Account) -> None:
    for _ in range(20):
        create(client, alice)
    response = client.post("/api/v1/webhooks", json={"url": RECEIVER, "events": ["click"]}, headers=alice.headers)
    assert_problem(response, 409, "too_many_webhooks")


def test_link_events_are_logged_and_a_delivery_can_be_sent_again(client: TestClient, alice: Account) -> None:
    hook = create(client, alice, events=["link.created", "link.updated"])
    path = f"/api/v1/webhooks/{hook['id']}"
    link = {"target_url": "https://example.com/a", "code": "logged"}
    assert client.post("/api/v1/links", json=link, headers=alice.headers).status_code == 201
    assert client.patch("/api/v1/links/logged", json={"title": "Spring"}, headers=alice.headers).status_code == 200
    assert client.delete("/api/v1/links/logged", headers=alice.headers).status_code == 204  # not asked for

    log = client.get(f"{path}/deliveries", headers=alice.headers).json()
    assert [(entry["event"], entry["status"], entry["payload"]["code"]) for entry in log] == [
        ("link.updated", "pending", "logged"),
        ("link.created", "pending", "logged"),
    ]
    assert log[0]["payload"]["title"] == "Spring" and log[1]["payload"]["title"] is None
    retried = client.post(f"{path}/deliveries/{log[1]['id']}/retry", headers=alice.headers).json()
    assert retried["status"] == "pending" and retried["attempts"] == 0
    only_pending = client.get(f"{path}/deliveries?status=delivered", headers=alice.headers).json()
    assert only_pending == []


def test_re_enabling_clears_the_failures_and_a_new_url_is_checked(client: TestClient, alice: Account) -> None:
    hook = create(client, alice)
    path = f"/api/v1/webhooks/{hook['id']}"
    disabled = client.patch(path, json={"enabled": False}, headers=alice.headers).json()
    assert disabled["enabled"] is False
    enabled = client.patch(path, json={"enabled": True, "events": ["link.created"]}, headers=alice.headers).json()
    assert (enabled["enabled"], enabled["events"], enabled["consecutive_failures"]) == (True, ["link.created"], 0)
    refused = client.patch(path, json={"url": "http://nothing.invalid/"}, headers=alice.headers)
    assert_problem(refused, 422, "webhook_url_refused")
    assert client.delete(path, headers=alice.headers).status_code == 204
    assert client.get(path, headers=alice.headers).status_code == 404
