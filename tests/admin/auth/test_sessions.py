"""A new password ends every session at once: access tokens issued before a change or a reset are
refused (401 invalid_token), not only refresh tokens; tokens issued after it work."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime

import jwt
import pytest
from starlette.testclient import TestClient

from admin.auth.tokens import issue_access_token, key_id
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem, login
from tests.admin.db import sql

NEW_PASSWORD = "a brand new passphrase"


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _changed_at(settings: Settings, user_id: int) -> datetime | None:
    value = sql(settings, "SELECT password_changed_at FROM users WHERE id = $1", user_id)[0][0]
    assert value is None or isinstance(value, datetime)
    return value


def test_a_new_account_has_no_password_change(client: TestClient, alice: Account, settings: Settings) -> None:
    assert _changed_at(settings, alice.id) is None
    assert _me(client, alice.access_token) == 200


def test_changing_the_password_refuses_earlier_access_tokens(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    second = login(client, alice.email).json()["access_token"]
    assert _me(client, alice.access_token) == 200
    changed = client.post(
        "/api/v1/users/me/password",
        headers=alice.headers,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    # No new token pair comes with the change: the caller signs in again.
    assert changed.status_code == 204, changed.text
    assert changed.content == b""
    assert _changed_at(settings, alice.id) is not None
    for token in (alice.access_token, second):
        response = client.get("/api/v1/links", headers={"Authorization": f"Bearer {token}"})
        problem = assert_problem(response, 401, "invalid_token")
        assert "password" in problem["detail"]
    # Signing in right away (most likely within the same second) gives a token that works.
    fresh = login(client, alice.email, NEW_PASSWORD)
    assert fresh.status_code == 200, fresh.text
    assert _me(client, fresh.json()["access_token"]) == 200
    assert login(client, alice.email, PASSWORD).status_code == 401


def test_a_password_reset_refuses_earlier_access_tokens(client: TestClient, alice: Account, settings: Settings) -> None:
    token = secrets.token_urlsafe(32)
    sql(
        settings,
        "INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
        alice.id,
        hashlib.sha256(token.encode()).digest(),
    )
    assert _me(client, alice.access_token) == 200
    confirmed = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text
    assert_problem(client.get("/api/v1/users/me", headers=alice.headers), 401, "invalid_token")
    fresh = login(client, alice.email, NEW_PASSWORD)
    assert fresh.status_code == 200, fresh.text
    assert _me(client, fresh.json()["access_token"]) == 200


def test_a_token_of_the_same_second_is_judged_to_the_microsecond(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    """Whole seconds could not tell these two tokens apart; their microseconds do."""
    changed = float(int(time.time())) + 0.5
    sql(settings, "UPDATE users SET password_changed_at = to_timestamp($2) WHERE id = $1", alice.id, changed)
    before = issue_access_token(settings, user_id=alice.id, now=changed - 0.001).token
    after = issue_access_token(settings, user_id=alice.id, now=changed + 0.001).token
    assert jwt.decode(after, options={"verify_signature": False})["iat"] == changed + 0.001
    assert_problem(client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {before}"}), 401, "invalid_token")
    assert _me(client, after) == 200


@pytest.mark.parametrize(("offset", "status"), [(0, 401), (1, 200)])
def test_a_whole_second_iat_counts_from_the_start_of_its_second(
    client: TestClient, alice: Account, settings: Settings, offset: int, status: int
) -> None:
    """A token with an integer iat (as older releases issued) may have been issued any time in its
    second: it survives a change only if that whole second follows it."""
    second = int(time.time())
    sql(settings, "UPDATE users SET password_changed_at = to_timestamp($2) WHERE id = $1", alice.id, second + 0.25)
    claims = {
        "sub": str(alice.id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": second + offset,
        "exp": second + 600,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers={"kid": key_id(settings.jwt_secret)})
    assert _me(client, token) == status
