"""Auth flows end to end: register, login, me, refresh rotation and reuse, logout, passwords, throttling.

Concurrency and lockout resistance of the sign-in throttle: tests/admin/auth/test_throttle.py.
"""

from __future__ import annotations

import statistics
import time
import uuid

import asyncpg
from httpx2 import Response
from starlette.testclient import TestClient

from admin.auth.throttle import IP_LIMIT, PAIR_LIMIT
from common.settings import Settings
from harness.stores import run_sync
from tests.admin.api import PASSWORD, Account, assert_problem, login, register, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.conftest import SettingsFactory


def _email(name: str = "user") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _refresh(client: TestClient, token: str) -> Response:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_register_login_me(client: TestClient) -> None:
    email = _email()
    registered = register(client, email)
    assert registered.status_code == 202
    assert set(registered.json()) == {"detail"}

    tokens = login(client, email.upper()).json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    user = me.json()
    assert user["email"] == email and user["role"] == "user" and user["is_admin"] is False
    assert "password" not in str(user) and "hash" not in str(user)


def test_me_needs_credentials(client: TestClient) -> None:
    response = client.get("/api/v1/users/me")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


REGISTER_REFUSALS = [
    ({"email": "not-an-address", "password": PASSWORD}, "email"),
    ({"email": "short@example.com", "password": "too short"}, "password"),
    ({"email": "long@example.com", "password": "x" * 257}, "password"),
    ({"email": "extra@example.com", "password": PASSWORD, "role": "admin"}, "role"),
]


def test_register_validation(client: TestClient) -> None:
    for body, field in REGISTER_REFUSALS:
        problem = assert_problem(client.post("/api/v1/auth/register", json=body), 422, "validation_failed")
        assert any(error["loc"][-1] == field for error in problem["errors"]), body
        # The password never comes back in an error.
        assert PASSWORD not in str(problem)


def test_registering_a_taken_address_answers_as_a_new_one_and_changes_nothing(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    before = sql(settings, "SELECT * FROM users ORDER BY id")
    new = register(client, _email("new"), PASSWORD)
    after_new = sql(settings, "SELECT * FROM users ORDER BY id")
    taken = register(client, alice.email.upper(), "another passphrase entirely, mine now")
    # The same status, headers of the same kind and the same body: nothing tells the two apart.
    assert (new.status_code, new.json()) == (taken.status_code, taken.json()) == (202, new.json())
    assert new.headers["content-type"] == taken.headers["content-type"]
    assert len(after_new) == len(before) + 1
    # The account that exists is untouched: same row, same hash, its owner still signs in.
    assert sql(settings, "SELECT * FROM users ORDER BY id") == after_new
    assert login(client, alice.email).status_code == 200
    assert_problem(login(client, alice.email, "another passphrase entirely, mine now"), 401, "invalid_credentials")


def test_registering_a_taken_address_takes_as_long_as_a_new_one(client: TestClient, alice: Account) -> None:
    def timed(email: str) -> float:
        started = time.perf_counter()
        assert register(client, email).status_code == 202
        return time.perf_counter() - started

    # Interleaved, so that load from elsewhere on the machine hits both alike. Both paths check the
    # policy, hash the password with argon2 and run one INSERT.
    new, taken = [], []
    for n in range(5):
        new.append(timed(_email(f"timing{n}")))
        taken.append(timed(alice.email))
    ratio = statistics.median(taken) / statistics.median(new)
    assert 0.5 < ratio < 2.0, (new, taken)


def test_closed_registration_refuses_strangers_but_not_admins(
    settings_factory: SettingsFactory, client_factory: ClientFactory
) -> None:
    settings = settings_factory(open_registration=False)
    client = client_factory(settings)
    refused = client.post("/api/v1/auth/register", json={"email": _email(), "password": PASSWORD})
    assert_problem(refused, 403, "registration_closed")

    admin_email = _email("root")
    run_sync(_create_admin(settings, admin_email))
    admin_token = login(client, admin_email).json()["access_token"]
    new_email = _email()
    made = client.post(
        "/api/v1/auth/register",
        json={"email": new_email, "password": PASSWORD},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert made.status_code == 202
    assert login(client, new_email).status_code == 200

    # An admin's API key is not the admin: creating accounts needs a session.
    key = client.post("/api/v1/api-keys", json={"name": "k"}, headers={"Authorization": f"Bearer {admin_token}"})
    by_key = client.post(
        "/api/v1/auth/register",
        json={"email": _email(), "password": PASSWORD},
        headers={"X-API-Key": key.json()["key"]},
    )
    assert_problem(by_key, 403, "session_required")


async def _create_admin(settings: Settings, email: str) -> None:
    from admin.users import create_user
    from common.stores import open_stores

    async with open_stores(settings, pool_size=1) as stores:
        await create_user(pool=stores.pool, email=email, password=PASSWORD, role="admin")


def test_unknown_user_and_wrong_password_get_the_same_answer(client: TestClient, alice: Account) -> None:
    wrong = login(client, alice.email, "wrong password entirely")
    unknown = login(client, _email("nobody"), "wrong password entirely")
    malformed = login(client, "not an address", "wrong password entirely")
    bodies = [assert_problem(r, 401, "invalid_credentials") for r in (wrong, unknown, malformed)]
    assert {b["detail"] for b in bodies} == {bodies[0]["detail"]}


def test_refresh_rotates_and_reuse_revokes_the_whole_family(client: TestClient, alice: Account) -> None:
    first = _refresh(client, alice.refresh_token)
    assert first.status_code == 200
    second_token = first.json()["refresh_token"]
    assert second_token != alice.refresh_token
    assert client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
    ).is_success

    # The old token is replayed (stolen): refused, and the family is revoked...
    assert_problem(_refresh(client, alice.refresh_token), 401, "refresh_token_reused")
    # ...so the legitimate newest token no longer works either.
    assert_problem(_refresh(client, second_token), 401, "invalid_refresh_token")

    # Another session (another family) is untouched.
    other = login(client, alice.email).json()["refresh_token"]
    assert _refresh(client, other).status_code == 200


def test_refresh_with_garbage_is_401(client: TestClient) -> None:
    assert_problem(_refresh(client, "not-a-token"), 401, "invalid_refresh_token")


def test_logout_revokes_the_refresh_token(client: TestClient, alice: Account) -> None:
    response = client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token})
    assert response.status_code == 204
    assert_problem(_refresh(client, alice.refresh_token), 401, "invalid_refresh_token")


def test_change_password(client: TestClient, alice: Account) -> None:
    new = "an entirely new passphrase"
    wrong = client.post(
        "/api/v1/users/me/password",
        json={"current_password": "not my password", "new_password": new},
        headers=alice.headers,
    )
    assert_problem(wrong, 422, "wrong_password")
    short = client.post(
        "/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=alice.headers
    )
    assert_problem(short, 422, "validation_failed")

    changed = client.post(
        "/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": new}, headers=alice.headers
    )
    assert changed.status_code == 204
    assert_problem(login(client, alice.email, PASSWORD), 401, "invalid_credentials")
    assert login(client, alice.email, new).status_code == 200
    # Existing sessions end with a password change.
    assert_problem(_refresh(client, alice.refresh_token), 401, "invalid_refresh_token")


def test_login_is_throttled_per_account_and_address_with_retry_after(client: TestClient, alice: Account) -> None:
    for _ in range(PAIR_LIMIT.max_failures):
        assert_problem(login(client, alice.email, "wrong password entirely"), 401)
    blocked = login(client, alice.email, PASSWORD)
    assert_problem(blocked, 429, "too_many_requests")
    assert 0 < int(blocked.headers["retry-after"]) <= PAIR_LIMIT.window_s


def test_login_is_throttled_per_ip(client: TestClient, alice: Account) -> None:
    # Many accounts from one address: each account stays under its own limit.
    for n in range(IP_LIMIT.max_failures):
        assert_problem(login(client, f"guess{n}@example.com", "wrong password entirely"), 401)
    blocked = login(client, alice.email, PASSWORD)
    assert_problem(blocked, 429, "too_many_requests")
    assert int(blocked.headers["retry-after"]) > 0


def test_successful_login_clears_the_account_counter(client: TestClient, alice: Account) -> None:
    for _ in range(PAIR_LIMIT.max_failures - 1):
        login(client, alice.email, "wrong password entirely")
    assert login(client, alice.email).status_code == 200
    assert login(client, alice.email, "wrong password entirely").status_code == 401
    assert login(client, alice.email).status_code == 200


def test_a_stolen_session_cannot_guess_the_password_unthrottled(client: TestClient, alice: Account) -> None:
    def change(current: str) -> Response:
        body = {"current_password": current, "new_password": "an entirely new passphrase"}
        return client.post("/api/v1/users/me/password", json=body, headers=alice.headers)

    for _ in range(PAIR_LIMIT.max_failures):
        assert_problem(change("wrong password entirely"), 422, "wrong_password")
    assert_problem(change(PASSWORD), 429, "too_many_requests")
    # The same counters as signing in: this address is stopped there too.
    assert_problem(login(client, alice.email), 429, "too_many_requests")


def test_a_disabled_account_cannot_log_in_or_use_its_token(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    async def disable() -> None:
        conn = await asyncpg.connect(
            str(settings.database_url), server_settings={"search_path": settings.database_schema}
        )
        try:
            await conn.execute("UPDATE users SET disabled = true WHERE id = $1", alice.id)
        finally:
            await conn.close()

    run_sync(disable())
    assert_problem(client.get("/api/v1/users/me", headers=alice.headers), 403, "account_disabled")
    assert_problem(login(client, alice.email), 403, "account_disabled")
    assert_problem(_refresh(client, alice.refresh_token), 401, "invalid_refresh_token")


def test_sign_up_helper_accounts_are_distinct(client: TestClient, alice: Account, bob: Account) -> None:
    assert alice.id != bob.id
    assert sign_up(client, _email()).id not in {alice.id, bob.id}
