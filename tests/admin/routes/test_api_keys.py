"""API keys: shown once, stored hashed, accepted as X-API-Key, listed without secrets, revocable."""

from __future__ import annotations

import hashlib

from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import Account, assert_problem
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
