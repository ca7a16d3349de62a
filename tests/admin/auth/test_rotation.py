"""Rotating HOP_JWT_SECRET: without a previous key every session ends at once; with
HOP_JWT_PREVIOUS_SECRET the old key's tokens keep working until they expire or are rotated."""

from __future__ import annotations

import base64

import orjson
import pytest
from starlette.testclient import TestClient

from admin.auth.tokens import key_id
from common.settings import DEFAULT_JWT_SECRET, Settings, SettingsError, load_settings
from tests.admin.api import Account, assert_problem, login, sign_up
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.helpers import PRODUCTION_SECRETS

OLD_SECRET = "the-old-jwt-secret-of-at-least-32-bytes"
NEW_SECRET = "the-new-jwt-secret-of-at-least-32-bytes"


def _header(token: str) -> dict[str, object]:
    header: dict[str, object] = orjson.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return header


def _me(client: TestClient, access_token: str) -> int:
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"}).status_code


def _refresh(client: TestClient, token: str) -> dict[str, object]:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


@pytest.fixture
def before(settings: Settings) -> Settings:
    """The deployment before the rotation, signing with OLD_SECRET."""
    return settings.model_copy(update={"jwt_secret": OLD_SECRET})


def test_tokens_name_their_key_by_a_hash_never_the_key(client: TestClient, alice: Account, settings: Settings) -> None:
    kid = _header(alice.access_token)["kid"]
    assert kid == key_id(settings.jwt_secret)
    assert isinstance(kid, str) and len(kid) == 16 and settings.jwt_secret not in alice.access_token
    stored = sql(settings, "SELECT key_id FROM refresh_tokens WHERE user_id = $1", alice.id)
    assert [row["key_id"] for row in stored] == [kid]


def test_rotating_without_a_previous_key_ends_every_session(
    client_factory: ClientFactory, before: Settings, settings: Settings
) -> None:
    old = client_factory(before)
    account = sign_up(old, "rotated@example.com")
    new = client_factory(before.model_copy(update={"jwt_secret": NEW_SECRET}))

    assert_problem(new.get("/api/v1/users/me", headers=account.headers), 401, "invalid_token")
    refused = new.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(refused, 401, "invalid_refresh_token")
    # The session's family is revoked for good: the old key coming back does not revive it.
    assert all(row["revoked_at"] is not None for row in sql(settings, "SELECT revoked_at FROM refresh_tokens"))
    assert_problem(old.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}), 401)
    # Signing in again works, under the new key.
    fresh = login(new, account.email).json()
    assert _header(fresh["access_token"])["kid"] == key_id(NEW_SECRET)


def test_a_previous_key_makes_the_rotation_graceful(
    client_factory: ClientFactory, before: Settings, settings: Settings
) -> None:
    account = sign_up(client_factory(before), "graceful@example.com")
    during = client_factory(before.model_copy(update={"jwt_secret": NEW_SECRET, "jwt_previous_secret": OLD_SECRET}))

    # The old key's access token still works until it expires...
    assert _me(during, account.access_token) == 200
    # ...and its session goes on: the refresh token is spent for a pair under the new key.
    renewed = _refresh(during, account.refresh_token)
    assert renewed["status"] == 200, renewed
    assert isinstance(renewed["access_token"], str) and isinstance(renewed["refresh_token"], str)
    assert _header(renewed["access_token"])["kid"] == key_id(NEW_SECRET)
    stored = sql(settings, "SELECT key_id FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL")
    assert [row["key_id"] for row in stored] == [key_id(NEW_SECRET)]

    # Once the previous key is dropped, what was renewed keeps working and what was not ends.
    after = client_factory(before.model_copy(update={"jwt_secret": NEW_SECRET}))
    assert _me(after, renewed["access_token"]) == 200
    assert_problem(after.get("/api/v1/users/me", headers=account.headers), 401, "invalid_token")
    assert _refresh(after, renewed["refresh_token"])["status"] == 200


def test_a_session_not_renewed_during_the_overlap_ends_with_it(
    client_factory: ClientFactory, before: Settings, settings: Settings
) -> None:
    account = sign_up(client_factory(before), "idle@example.com")
    after = client_factory(before.model_copy(update={"jwt_secret": NEW_SECRET, "jwt_previous_secret": "p" * 40}))
    assert_problem(
        after.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token}), 401, "invalid_refresh_token"
    )
    assert all(row["revoked_at"] is not None for row in sql(settings, "SELECT revoked_at FROM refresh_tokens"))


def test_refresh_tokens_from_before_key_ids_end_at_their_next_use(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    # What migration 0005 leaves for tokens issued before it: no key id, so no proof of the key.
    sql(settings, "UPDATE refresh_tokens SET key_id = NULL")
    assert_problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}), 401, "invalid_refresh_token"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jwt_previous_secret": "s" * 40, "jwt_secret": "s" * 40}, "HOP_JWT_PREVIOUS_SECRET must differ"),
        ({"jwt_previous_secret": "too short"}, "HOP_JWT_PREVIOUS_SECRET"),
    ],
)
def test_a_bad_previous_key_stops_start_up(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(Settings, environment="test", **overrides)


def test_production_refuses_the_public_default_as_previous_key() -> None:
    with pytest.raises(SettingsError, match="HOP_JWT_PREVIOUS_SECRET must be set to a secret of your own"):
        load_settings(Settings, **(PRODUCTION_SECRETS | {"jwt_previous_secret": DEFAULT_JWT_SECRET}))
