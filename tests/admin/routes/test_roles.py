"""PUT /users/{id}/role: admins promote and demote accounts, effective at the next request, audited;
never leaving the instance without an enabled admin, even when two admins demote each other at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.testclient import TestClient

from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem
from tests.admin.asgi import in_process_admin
from tests.admin.db import sql
from tests.admin.sessions import bearer
from tests.helpers import wait_until_async


def _role(client: TestClient, caller: Account, user_id: int, role: Any) -> Any:
    return client.put(f"/api/v1/users/{user_id}/role", json={"role": role}, headers=caller.headers)


def _role_entries(client: TestClient, root: Account) -> list[tuple[int, int, Any, Any]]:
    data = client.get("/api/v1/audit", params={"action": "user.role_change"}, headers=root.headers).json()["data"]
    return [(e["actor_id"], e["entity_id"], e["old_values"], e["new_values"]) for e in reversed(data)]


def test_promote_and_demote_take_effect_at_once(client: TestClient, root: Account, alice: Account) -> None:
    assert_problem(client.get("/api/v1/users", headers=alice.headers), 403, "admin_required")
    promoted = _role(client, root, alice.id, "admin")
    assert promoted.status_code == 200, promoted.text
    body = promoted.json()
    assert (body["id"], body["email"], body["role"], body["is_admin"]) == (alice.id, alice.email, "admin", True)
    # The same access token, now an admin's: roles are read on every request.
    assert client.get("/api/v1/users", headers=alice.headers).status_code == 200

    demoted = _role(client, root, alice.id, "user")
    assert demoted.status_code == 200 and demoted.json()["role"] == "user"
    assert_problem(client.get("/api/v1/users", headers=alice.headers), 403, "admin_required")
    # Setting the role an account has changes nothing and records nothing.
    assert _role(client, root, alice.id, "user").json()["role"] == "user"
    assert _role_entries(client, root) == [
        (root.id, alice.id, {"role": "user"}, {"role": "admin"}),
        (root.id, alice.id, {"role": "admin"}, {"role": "user"}),
    ]


def test_the_last_enabled_admin_stays(client: TestClient, root: Account, alice: Account, settings: Settings) -> None:
    assert_problem(_role(client, root, root.id, "user"), 409, "last_admin")
    # A disabled admin is no admin anyone can use: it does not count.
    sql(settings, "UPDATE users SET role = 'admin', disabled = true WHERE id = $1", alice.id)
    assert_problem(_role(client, root, root.id, "user"), 409, "last_admin")
    sql(settings, "UPDATE users SET disabled = false WHERE id = $1", alice.id)
    # With another enabled admin, an admin may step down; that one then cannot.
    assert _role(client, root, root.id, "user").json()["role"] == "user"
    assert_problem(_role(client, alice, alice.id, "user"), 409, "last_admin")
    assert [row["id"] for row in sql(settings, "SELECT id FROM users WHERE role = 'admin'")] == [alice.id]


def test_only_an_admins_session_may_change_roles(client: TestClient, root: Account, alice: Account) -> None:
    assert_problem(_role(client, alice, alice.id, "admin"), 403, "admin_required")
    key = client.post("/api/v1/api-keys", json={"name": "script"}, headers=root.headers).json()["key"]
    refused = client.put(f"/api/v1/users/{alice.id}/role", json={"role": "admin"}, headers={"X-API-Key": key})
    assert_problem(refused, 403, "session_required")
    assert_problem(client.put(f"/api/v1/users/{alice.id}/role", json={"role": "admin"}), 401, "unauthorized")
    assert client.get("/api/v1/users/me", headers=alice.headers).json()["role"] == "user"


def test_role_changes_are_validated(client: TestClient, root: Account) -> None:
    assert_problem(_role(client, root, 999_999, "admin"), 404, "user_not_found")
    for role in ("superuser", "Admin", None, 1):
        assert_problem(_role(client, root, root.id, role), 422, "validation_failed")
    extra = client.put(f"/api/v1/users/{root.id}/role", json={"role": "user", "x": 1}, headers=root.headers)
    assert_problem(extra, 422, "validation_failed")
    for user_id in ("0", "-1", "abc", str(2**63)):
        assert_problem(client.put(f"/api/v1/users/{user_id}/role", json={"role": "user"}, headers=root.headers), 422)


async def _admin_token(admin: Any, email: str, settings: Settings) -> tuple[int, str]:
    client = await admin.client()
    assert (await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})).status_code == 202
    user_id = int(sql(settings, "UPDATE users SET role = 'admin' WHERE email = $1 RETURNING id", email)[0]["id"])
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return user_id, str(login.json()["access_token"])


# How many sessions wait for the given one, directly or behind another waiting session.
WAITING_FOR = """
    WITH RECURSIVE waiting(pid) AS (
        SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))
        UNION
        SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid))
    )
    SELECT count(*) FROM waiting
"""


async def _connect(settings: Settings) -> asyncpg.Connection:
    return await asyncpg.connect(str(settings.database_url), server_settings={"search_path": settings.database_schema})


@asynccontextmanager
async def _rows_held(settings: Settings, user_ids: list[int]) -> AsyncIterator[Callable[[int], Awaitable[None]]]:
    """Holds the users' rows locked; yields ``until_waiting(n)``, which returns once ``n`` sessions
    wait for them; the rows are let go when the block ends."""
    holder, watcher = await _connect(settings), await _connect(settings)
    try:
        async with holder.transaction():
            await holder.execute("SELECT id FROM users WHERE id = ANY($1::bigint[]) FOR UPDATE", user_ids)

            async def until_waiting(count: int) -> None:
                # From another connection: a transaction sees pg_stat_activity as it was at its first look.
                await wait_until_async(
                    lambda: watcher.fetchval(WAITING_FOR, holder.get_server_pid()),
                    lambda waiting: waiting == count,
                    what=f"{count} sessions waiting for the held rows",
                )

            yield until_waiting
    finally:
        await holder.close()
        await watcher.close()


async def test_two_admins_demoting_each_other_at_once_leave_one(settings: Settings) -> None:
    async with in_process_admin(settings) as admin:
        (first, first_token), (second, second_token) = [
            await _admin_token(admin, f"admin{n}@example.com", settings) for n in range(2)
        ]
        clients = [await admin.client(), await admin.client()]
        # Both admins' rows held: both requests get past their authorisation and wait inside their
        # change, so they go on together once the rows are let go.
        async with _rows_held(settings, [first, second]) as until_waiting:
            demotions = [
                asyncio.create_task(
                    client.put(f"/api/v1/users/{target}/role", json={"role": "user"}, headers=bearer(token))
                )
                for client, target, token in ((clients[0], second, first_token), (clients[1], first, second_token))
            ]
            await until_waiting(2)
        answers = await asyncio.gather(*demotions)
    assert sorted(answer.status_code for answer in answers) == [200, 409], [answer.text for answer in answers]
    assert len(sql(settings, "SELECT id FROM users WHERE role = 'admin' AND NOT disabled")) == 1
