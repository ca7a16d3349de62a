"""Auth flows end to end: register, login, me, refresh rotation and reuse, logout, passwords, throttling."""

from __future__ import annotations

import uuid

import asyncpg
from httpx2 import Response
from starlette.testclient import TestClient

from admin.auth.throttle import ACCOUNT_LIMIT, IP_LIMIT
from common.settings import Settings
from harness.stores import run_sync
from tests.admin.api import PASSWORD, Account, assert_problem, login, sign_up
from tests.admin.conftest import ClientFactory
from tests.conftest import SettingsFactory


def _email(name: str = "user") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _refresh(client: TestClient, token: str) -> Response:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_register_login_me(client: TestClient) -> None:
    email = _email()
    registered = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201
    user = registered.json()
    assert user["email"] == email and user["role"] == "user" and user["is_admin"] is False
    assert "password" not in str(user) and "hash" not in str(user)

    tokens = login(client, email.upper()).json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


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


def test_register_twice_is_a_conflict_whatever_the_case(client: TestClient, alice: Account) -> None:
    again = client.post("/api/v1/auth/register", json={"email": alice.email.upper(), "password": PASSWORD})
    assert_problem(again, 409, "email_taken")


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
    made = client.post(
        "/api/v1/auth/register",
        json={"email": _email(), "password": PASSWORD},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert made.status_code == 201


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


def test_login_is_throttled_per_account_with_retry_after(client: TestClient, alice: Account) -> None:
    for _ in range(ACCOUNT_LIMIT.max_failures):
        assert_problem(login(client, alice.email, "wrong password entirely"), 401)
    blocked = login(client, alice.email, PASSWORD)
    assert_problem(blocked, 429, "too_many_requests")
    assert 0 < int(blocked.headers["retry-after"]) <= ACCOUNT_LIMIT.window_s


def test_login_is_throttled_per_ip(client: TestClient, alice: Account) -> None:
    # Many accounts from one address: each account stays under its own limit.
    for n in range(IP_LIMIT.max_failures):
        assert_problem(login(client, f"guess{n}@example.com", "wrong password entirely"), 401)
    blocked = login(client, alice.email, PASSWORD)
    assert_problem(blocked, 429, "too_many_requests")
    assert int(blocked.headers["retry-after"]) > 0


def test_successful_login_clears_the_account_counter(client: TestClient, alice: Account) -> None:
    for _ in range(ACCOUNT_LIMIT.max_failures - 1):
        login(client, alice.email, "wrong password entirely")
    assert login(client, alice.email).status_code == 200
    assert login(client, alice.email, "wrong password entirely").status_code == 401
    assert login(client, alice.email).status_code == 200


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
