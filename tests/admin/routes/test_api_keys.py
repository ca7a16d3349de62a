"""API keys: shown once, stored hashed, accepted as X-API-Key, listed without secrets, revocable;
scoped (links:read, links:write, analytics:read), and never able to manage keys, passwords or users."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from importlib import import_module

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from admin.auth.deps import current_user, optional_user, require_scope, require_session
from admin.auth.principal import ALL_SCOPES
from admin.routes import API_PREFIX, ROUTE_MODULES
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem, login
from tests.admin.db import sql


def test_api_key_lifecycle(client: TestClient, alice: Account, bob: Account, settings: Settings) -> None:
    created = client.post("/api/v1/api-keys", json={"name": "ci"}, headers=alice.headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("hop_") and len(key) > 40
    assert created.json()["prefix"] == key[:12]

    stored = sql(settings, "SELECT key_hash FROM api_keys")
    assert [bytes(r["key_hash"]) for r in stored] == [hashlib.sha256(key.encode()).digest()]

    listed = client.get("/api/v1/api-keys", headers=alice.headers).json()
    assert [(k["name"], k["prefix"]) for k in listed] == [("ci", key[:12])]
    assert key not in str(listed)
    assert client.get("/api/v1/api-keys", headers=bob.headers).json() == []

    by_key = client.post("/api/v1/links", json={"target_url": "https://e.com/"}, headers={"X-API-Key": key})
    assert by_key.status_code == 201 and by_key.json()["owner_id"] == alice.id
    assert client.get("/api/v1/users/me", headers={"X-API-Key": key}).json()["id"] == alice.id
    assert client.get("/api/v1/api-keys", headers=alice.headers).json()[0]["last_used_at"] is not None

    key_id = created.json()["id"]
    assert_problem(client.delete(f"/api/v1/api-keys/{key_id}", headers=bob.headers), 404, "api_key_not_found")
    assert client.get("/api/v1/users/me", headers={"X-API-Key": key}).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=alice.headers).status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers={"X-API-Key": key}), 401, "invalid_api_key")
    assert client.get("/api/v1/api-keys", headers=alice.headers).json() == []
    assert_problem(client.delete(f"/api/v1/api-keys/{key_id}", headers=alice.headers), 404)


def test_made_up_keys_are_401(client: TestClient) -> None:
    for key in ("hop_" + "A" * 43, "nothop", "x" * 5000):
        assert_problem(client.get("/api/v1/links", headers={"X-API-Key": key}), 401, "invalid_api_key")


def test_key_names_are_validated(client: TestClient, alice: Account) -> None:
    for name in ("", " ", "x" * 101, "nul\x00", "line\nbreak"):
        assert_problem(client.post("/api/v1/api-keys", json={"name": name}, headers=alice.headers), 422)


def _key(client: TestClient, owner: Account, **body: object) -> str:
    created = client.post("/api/v1/api-keys", json={"name": "script", **body}, headers=owner.headers)
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


def test_keys_have_all_scopes_unless_told_otherwise(client: TestClient, alice: Account) -> None:
    everything = client.post("/api/v1/api-keys", json={"name": "all"}, headers=alice.headers).json()
    assert everything["scopes"] == ["analytics:read", "links:read", "links:write"]
    reader = client.post(
        "/api/v1/api-keys", json={"name": "r", "scopes": ["links:read", "links:read"]}, headers=alice.headers
    ).json()
    assert reader["scopes"] == ["links:read"]
    listed = {key["name"]: key["scopes"] for key in client.get("/api/v1/api-keys", headers=alice.headers).json()}
    assert listed == {"all": everything["scopes"], "r": ["links:read"]}


def test_scopes_are_validated(client: TestClient, alice: Account) -> None:
    for scopes in ([], ["admin"], ["links:*"], "links:read", ["keys:write"], [None]):
        body = {"name": "bad", "scopes": scopes}
        assert_problem(client.post("/api/v1/api-keys", json=body, headers=alice.headers), 422, "validation_failed")
    assert client.get("/api/v1/api-keys", headers=alice.headers).json() == []


def test_each_route_checks_the_keys_scopes(client: TestClient, alice: Account) -> None:
    code = client.post("/api/v1/links", json={"target_url": "https://e.com/", "code": "scoped"}, headers=alice.headers)
    assert code.status_code == 201
    reader = {"X-API-Key": _key(client, alice, scopes=["links:read"])}
    writer = {"X-API-Key": _key(client, alice, scopes=["links:write"])}
    analyst = {"X-API-Key": _key(client, alice, scopes=["analytics:read"])}

    assert client.get("/api/v1/links", headers=reader).status_code == 200
    assert client.get("/api/v1/links/scoped", headers=reader).status_code == 200
    assert client.get("/api/v1/links/scoped/qr", headers=reader).status_code == 200
    for refused in (
        client.post("/api/v1/links", json={"target_url": "https://e.com/"}, headers=reader),
        client.patch("/api/v1/links/scoped", json={"title": "x"}, headers=reader),
        client.delete("/api/v1/links/scoped", headers=reader),
        client.get("/api/v1/analytics/overview", headers=reader),
        client.get("/api/v1/links/scoped/analytics", headers=reader),
        client.get("/api/v1/links", headers=writer),
        client.get("/api/v1/links", headers=analyst),
    ):
        assert_problem(refused, 403, "insufficient_scope")
    assert client.post("/api/v1/links", json={"target_url": "https://e.com/"}, headers=writer).status_code == 201
    assert client.get("/api/v1/analytics/overview", headers=analyst).status_code == 200
    assert client.get("/api/v1/links/scoped/analytics", headers=analyst).status_code == 200
    # The key's owner may still read their own account (it reveals nothing the key cannot already do).
    assert client.get("/api/v1/users/me", headers=analyst).json()["id"] == alice.id


def test_a_key_cannot_manage_keys_passwords_or_users(client: TestClient, root: Account, alice: Account) -> None:
    # Even an admin's key with every scope: a leaked key must not mint keys or take over the account.
    key = {"X-API-Key": _key(client, root)}
    key_id = client.get("/api/v1/api-keys", headers=root.headers).json()[0]["id"]
    password = {"current_password": PASSWORD, "new_password": "a passphrase the thief chose"}
    for refused in (
        client.post("/api/v1/api-keys", json={"name": "another"}, headers=key),
        client.get("/api/v1/api-keys", headers=key),
        client.delete(f"/api/v1/api-keys/{key_id}", headers=key),
        client.post("/api/v1/users/me/password", json=password, headers=key),
        client.get("/api/v1/users", headers=key),
        client.post(f"/api/v1/users/{alice.id}/disable", headers=key),
        client.post(f"/api/v1/users/{alice.id}/enable", headers=key),
    ):
        assert_problem(refused, 403, "session_required")
    assert len(client.get("/api/v1/api-keys", headers=root.headers).json()) == 1
    assert login(client, root.email).status_code == 200
    # Revoked by the owner's session, it is gone for good.
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=root.headers).status_code == 204
    assert_problem(client.get("/api/v1/links", headers=key), 401, "invalid_api_key")


# Routes any authenticated caller may use, API keys of any scope included.
ANY_KEY = {("GET", "/api/v1/users/me"), ("POST", "/api/v1/auth/register")}


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _api_routes() -> Iterator[tuple[str, APIRoute]]:
    """Every /api/v1 route with its full path, from the routers admin/routes/__init__.py mounts."""
    for name in ROUTE_MODULES:
        for route in import_module(name).router.routes:
            assert isinstance(route, APIRoute), route
            yield API_PREFIX + route.path, route


def test_every_authenticated_route_declares_a_scope_or_needs_a_session() -> None:
    # A route added later with a bare CurrentUser would let every API key in: this names it.
    guards = {require_scope(scope) for scope in ALL_SCOPES} | {require_session}
    unguarded, seen = [], 0
    for path, route in _api_routes():
        calls = _calls(route.dependant)
        if current_user not in calls and optional_user not in calls:
            continue
        for method in route.methods or ():
            seen += 1
            if not calls & guards and (method, path) not in ANY_KEY:
                unguarded.append(f"{method} {path}")
    assert unguarded == []
    assert seen > 25  # the walk did reach the routes
