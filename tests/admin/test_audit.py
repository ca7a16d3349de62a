"""The audit log: every link and user change (API or CLI) leaves who, how, from where, old and new
values, never a password; admins read it."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from admin.audit import CLI, Actor, record
from admin.auth.resets import create_reset_token
from admin.links import LinkNotFound, update_link
from common.settings import Settings
from common.stores import Stores
from harness.processes import run_hop
from tests.admin.api import PASSWORD, Account, assert_problem, login, register
from tests.admin.db import sql
from tests.helpers import add_link

AUDIT = "/api/v1/audit"


def entries(client: TestClient, root: Account, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params=params, headers=root.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def link_id(settings: Settings, code: str) -> int:
    return int(sql(settings, "SELECT id FROM links WHERE code = $1", code)[0]["id"])


def test_link_changes_leave_entries_with_old_and_new_values(
    client: TestClient, alice: Account, root: Account, settings: Settings
) -> None:
    made = client.post(
        "/api/v1/links",
        json={"target_url": "https://example.com/a", "code": "aud1", "title": "First"},
        headers={**alice.headers, "X-Forwarded-For": "203.0.113.9"},
    )
    assert made.status_code == 201, made.text
    created_id = link_id(settings, "aud1")
    patched = client.patch(
        "/api/v1/links/aud1", json={"target_url": "https://example.com/b", "title": "First"}, headers=alice.headers
    )
    assert patched.status_code == 200
    assert client.post("/api/v1/links/aud1/disable", headers=alice.headers).status_code == 200
    assert client.post("/api/v1/links/aud1/enable", headers=alice.headers).status_code == 200
    assert client.delete("/api/v1/links/aud1", headers=alice.headers).status_code == 204

    log = entries(client, root, entity_type="link", entity_code="aud1")
    assert [e["action"] for e in log] == ["link.delete", "link.enable", "link.disable", "link.update", "link.create"]
    assert {(e["actor_id"], e["actor_kind"], e["entity_id"]) for e in log} == {(alice.id, "user", created_id)}
    # No trusted proxies configured: the peer's address, not the one the caller claims.
    assert {e["client_ip"] for e in log} == {"testclient"}
    created, updated, disabled = log[-1], log[-2], log[-3]
    assert created["old_values"] is None
    assert created["new_values"]["target_url"] == "https://example.com/a"
    assert (created["new_values"]["owner_id"], created["new_values"]["title"]) == (alice.id, "First")
    # Only what changed: the title was sent again, unchanged.
    assert (updated["old_values"], updated["new_values"]) == (
        {"target_url": "https://example.com/a"},
        {"target_url": "https://example.com/b"},
    )
    assert (disabled["old_values"], disabled["new_values"]) == ({"disabled": False}, {"disabled": True})
    assert log[0]["old_values"]["target_url"] == "https://example.com/b" and log[0]["new_values"] is None


def test_bulk_import_and_api_keys_are_recorded(client: TestClient, alice: Account, root: Account) -> None:
    items = [{"target_url": "https://example.com/1", "code": "bulk1"}, {"target_url": "not a url"}]
    assert client.post("/api/v1/links/bulk", json={"links": items}, headers=alice.headers).json()["created"] == 1
    csv = "code,target_url\r\nimp1,https://example.com/i1\r\nimp2,https://example.com/i2\r\n"
    imported = client.post(
        "/api/v1/links/import.csv", content=csv, headers={**alice.headers, "Content-Type": "text/csv"}
    )
    assert imported.json()["created"] == 2
    key = client.post("/api/v1/api-keys", json={"name": "ci"}, headers=alice.headers).json()["key"]
    by_key = client.post(
        "/api/v1/links", json={"target_url": "https://example.com/k", "code": "bykey"}, headers={"X-API-Key": key}
    )
    assert by_key.status_code == 201, by_key.text

    log = entries(client, root, actor_id=alice.id, entity_type="link")
    assert [(e["action"], e["entity_code"], e["actor_kind"]) for e in log] == [
        ("link.create", "bykey", "api_key"),
        ("link.import", "imp2", "user"),
        ("link.import", "imp1", "user"),
        ("link.bulk_create", "bulk1", "user"),
    ]
    assert log[1]["new_values"]["target_url"] == "https://example.com/i2"


def test_only_admins_read_the_audit_log(client: TestClient, alice: Account, root: Account) -> None:
    assert_problem(client.get(AUDIT, headers=alice.headers), 403, "admin_required")
    assert_problem(client.get(AUDIT), 401)
    key = client.post("/api/v1/api-keys", json={"name": "root-key"}, headers=root.headers).json()["key"]
    assert_problem(client.get(AUDIT, headers={"X-API-Key": key}), 403)
    assert client.get(AUDIT, headers=root.headers).status_code == 200


def test_filters_and_keyset_pages(client: TestClient, alice: Account, bob: Account, root: Account) -> None:
    for n in range(5):
        body = {"target_url": f"https://example.com/{n}", "code": f"page{n}"}
        assert client.post("/api/v1/links", json=body, headers=alice.headers).status_code == 201
    assert (
        client.post("/api/v1/links", json={"target_url": "https://b.example/"}, headers=bob.headers).status_code == 201
    )
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"actor_id": alice.id, "entity_type": "link", "limit": 2}
        params |= {"cursor": cursor} if cursor else {}
        page = client.get(AUDIT, params=params, headers=root.headers).json()
        seen += [e["entity_code"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"page{n}" for n in reversed(range(5))]
    assert [e["actor_id"] for e in entries(client, root, action="link.create")].count(bob.id) == 1
    assert entries(client, root, until="2000-01-01T00:00:00Z") == []
    assert len(entries(client, root, entity_type="link", since="2000-01-01T00:00:00Z")) == 6
    assert_problem(client.get(AUDIT, params={"cursor": "bm9wZQ"}, headers=root.headers), 422, "invalid_cursor")
    assert_problem(client.get(AUDIT, params={"since": "2026-01-01T00:00:00"}, headers=root.headers), 422)
    assert_problem(client.get(AUDIT, params={"entity_type": "api_key"}, headers=root.headers), 422)


async def test_an_entry_commits_or_rolls_back_with_its_change(stores: Stores, settings: Settings) -> None:
    link = await add_link(stores, settings, "https://example.com/", code="atomic")
    # An actor the table refuses (a user kind without a user): the change must not commit without its entry.
    broken = Actor("user", None, "198.51.100.1")
    with pytest.raises(asyncpg.CheckViolationError):
        await update_link(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            code="atomic",
            changes={"disabled": True},
            principal=None,
            actor=broken,
        )
    assert await stores.pool.fetchval("SELECT disabled FROM links WHERE id = $1", link.id) is False
    # A change that fails leaves no entry either.
    with pytest.raises(LinkNotFound):
        await update_link(
            pool=stores.pool,
            redis=stores.redis,
            keys=stores.keys,
            code="nothing",
            changes={"disabled": True},
            principal=None,
            actor=CLI,
        )
    assert await stores.pool.fetchval("SELECT count(*) FROM audit_log") == 0
    await update_link(
        pool=stores.pool,
        redis=stores.redis,
        keys=stores.keys,
        code="atomic",
        changes={"disabled": True},
        principal=None,
        actor=CLI,
    )
    row = await stores.pool.fetchrow("SELECT actor_id, actor_kind, action, new_values FROM audit_log")
    assert row is not None
    assert dict(row) == {
        "actor_id": None,
        "actor_kind": "cli",
        "action": "link.update",
        "new_values": {"disabled": True},
    }


async def test_secrets_never_reach_the_log(stores: Stores) -> None:
    async with stores.pool.acquire() as conn, conn.transaction():
        await record(
            conn,
            actor=CLI,
            action="user.create",
            entity_type="user",
            entity_id=1,
            entity_code="u@example.com",
            new={
                "email": "u@example.com",
                "password": "p",
                "password_hash": "$argon2id$",
                "refresh_token": "t",
                "key_hash": b"k".hex(),
                "role": "admin",
                "api_key": "hop_x",
                "client_secret": "s",
                # A bool says whether there is a secret, never what it is: it stays.
                "has_password": True,
            },
        )
    stored = await stores.pool.fetchval("SELECT new_values FROM audit_log")
    assert stored == {"email": "u@example.com", "role": "admin", "has_password": True}


def test_disabling_a_user_records_old_and_new_values_and_the_admin(
    client: TestClient, alice: Account, root: Account
) -> None:
    assert client.post(f"/api/v1/users/{alice.id}/disable", headers=root.headers).status_code == 200
    assert client.post(f"/api/v1/users/{alice.id}/enable", headers=root.headers).status_code == 200
    assert_problem(client.post("/api/v1/users/999999/disable", headers=root.headers), 404)

    log = entries(client, root, entity_type="user", entity_id=alice.id)
    assert [e["action"] for e in log] == ["user.enable", "user.disable", "user.create"]
    enabled, disabled = log[0], log[1]
    assert {(e["actor_id"], e["actor_kind"], e["client_ip"], e["entity_code"]) for e in (enabled, disabled)} == {
        (root.id, "user", "testclient", alice.email)
    }
    assert (disabled["old_values"], disabled["new_values"]) == ({"disabled": False}, {"disabled": True})
    assert (enabled["old_values"], enabled["new_values"]) == ({"disabled": True}, {"disabled": False})
    assert entries(client, root, entity_id=999999) == []


def test_registration_records_who_created_the_account(client: TestClient, alice: Account, root: Account) -> None:
    # Self-registration: the new account is its own actor.
    [created] = entries(client, root, action="user.create", entity_id=alice.id)
    assert (created["actor_id"], created["actor_kind"], created["entity_code"]) == (alice.id, "user", alice.email)
    assert (created["old_values"], created["new_values"]) == (None, {"email": alice.email, "role": "user"})
    # An admin registering someone is the actor; an address already taken records nothing.
    made = client.post(
        "/api/v1/auth/register", json={"email": "made@example.com", "password": PASSWORD}, headers=root.headers
    )
    assert made.status_code == 202
    assert register(client, alice.email).status_code == 202
    [by_admin] = entries(client, root, action="user.create", entity_code="made@example.com")
    assert (by_admin["actor_id"], by_admin["actor_kind"]) == (root.id, "user")
    assert len(entries(client, root, action="user.create", entity_code=alice.email)) == 1


def test_hop_commands_record_cli_entries(client: TestClient, root: Account, settings: Settings) -> None:
    made = run_hop(settings, "user", "create", "cli@example.com", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert made.returncode == 0, made.stderr
    added = run_hop(settings, "link", "add", "https://example.com/cli", "--code", "clilink")
    assert added.returncode == 0, added.stderr
    removed = run_hop(settings, "link", "rm", "clilink")
    assert removed.returncode == 0, removed.stderr

    [user] = entries(client, root, entity_type="user", entity_code="cli@example.com")
    assert (user["action"], user["actor_kind"], user["actor_id"]) == ("user.create", "cli", None)
    assert user["client_ip"] is None
    assert user["new_values"] == {"email": "cli@example.com", "role": "user"}
    links = entries(client, root, entity_type="link", entity_code="clilink")
    assert [(e["action"], e["actor_kind"], e["actor_id"]) for e in links] == [
        ("link.delete", "cli", None),
        ("link.create", "cli", None),
    ]


async def test_password_changes_and_resets_are_recorded_without_the_password(
    client: TestClient, alice: Account, root: Account, stores: Stores
) -> None:
    new_password = "another long passphrase here"
    changed = client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=alice.headers,
    )
    assert changed.status_code == 204, changed.text
    reset = await create_reset_token(pool=stores.pool, email=alice.email, ttl_s=600)
    assert reset is not None
    confirmed = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": reset[1], "new_password": "a third long passphrase"}
    )
    assert confirmed.status_code == 204, confirmed.text
    assert login(client, alice.email, "a third long passphrase").status_code == 200

    log = entries(client, root, entity_type="user", entity_id=alice.id)
    assert [e["action"] for e in log] == ["user.password_reset", "user.password_change", "user.create"]
    for entry in log[:2]:
        assert (entry["actor_id"], entry["actor_kind"], entry["entity_code"]) == (alice.id, "user", alice.email)
        assert (entry["old_values"], entry["new_values"]) == (None, None)
    stored = await stores.pool.fetch("SELECT old_values::text, new_values::text FROM audit_log")
    written = " ".join(str(value) for row in stored for value in row)
    assert "passphrase" not in written and PASSWORD not in written and "argon2" not in written
