"""Browser sessions: the refresh token lives in the HttpOnly hop_refresh cookie, never in a body;
spending or ending it needs X-Hop-CSRF; rotation and reuse detection as /auth/refresh; sign out everywhere."""

from __future__ import annotations

import hashlib

from starlette.testclient import TestClient

from admin.auth.session_cookie import refresh_cookie
from admin.auth.throttle import PAIR_LIMIT
from common.settings import Settings
from tests.admin.api import PASSWORD, Account, assert_problem, login
from tests.admin.db import sql
from tests.admin.sessions import (
    COOKIE,
    CSRF,
    SESSION,
    assert_clears_cookie,
    assert_sets_cookie,
    bearer,
    refresh_with,
    sign_in,
)

WRONG = "not the password at all, sorry"
REVOKE_ALL = "/api/v1/users/me/sessions/revoke"


def _me(client: TestClient, access_token: str) -> int:
    return client.get("/api/v1/users/me", headers=bearer(access_token)).status_code


def _live_tokens(settings: Settings, user_id: int) -> set[bytes]:
    rows = sql(settings, "SELECT token_hash FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL", user_id)
    return {bytes(row["token_hash"]) for row in rows}


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def test_sign_in_sets_the_cookie_and_answers_only_the_access_token(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    response = sign_in(client, alice.email.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", settings.access_token_ttl)
    token = assert_sets_cookie(response, settings)
    # The cookie holds a real refresh token of a new family, stored only as its hash.
    assert _digest(token) in _live_tokens(settings, alice.id)
    assert _me(client, body["access_token"]) == 200


def test_the_cookie_is_secure_unless_local_or_test(settings: Settings) -> None:
    for environment, secure in (("production", True), ("local", False), ("test", False)):
        configured = settings.model_copy(update={"environment": environment})
        for token in ("t0ken", None):
            header = refresh_cookie(configured, token)
            assert ("; Secure" in header) is secure, (environment, header)


def test_sign_in_has_the_answers_and_throttle_of_login(client: TestClient, alice: Account, settings: Settings) -> None:
    wrong = sign_in(client, alice.email, WRONG)
    assert_problem(wrong, 401, "invalid_credentials")
    assert not wrong.headers.get_list("set-cookie")
    assert_problem(sign_in(client, "nobody@example.com", WRONG), 401, "invalid_credentials")
    assert_problem(client.post(SESSION, json={"email": alice.email}), 422, "validation_failed")
    assert_problem(client.post(SESSION, json={"email": alice.email, "password": PASSWORD, "x": 1}), 422)
    # One throttle for both doors: the failures here count against /auth/login, and the other way round.
    for _ in range(PAIR_LIMIT.max_failures - 1):
        assert_problem(sign_in(client, alice.email, WRONG), 401, "invalid_credentials")
    throttled = login(client, alice.email)
    assert_problem(throttled, 429, "too_many_requests")
    assert int(throttled.headers["retry-after"]) > 0
    assert_problem(sign_in(client, alice.email), 429, "too_many_requests")


def test_a_disabled_account_cannot_start_a_session(client: TestClient, alice: Account, settings: Settings) -> None:
    sql(settings, "UPDATE users SET disabled = true WHERE id = $1", alice.id)
    refused = sign_in(client, alice.email)
    assert_problem(refused, 403, "account_disabled")
    assert not refused.headers.get_list("set-cookie")


def test_refresh_needs_the_csrf_header(client: TestClient, alice: Account, settings: Settings) -> None:
    token = assert_sets_cookie(sign_in(client, alice.email), settings)
    for headers in ({}, {"X-Hop-CSRF": "0"}, {"X-Hop-CSRF": ""}):
        refused = client.post(f"{SESSION}/refresh", headers=headers)
        assert_problem(refused, 403, "csrf_required")
        assert not refused.headers.get_list("set-cookie")
    # None of the refused calls spent the token.
    assert _digest(token) in _live_tokens(settings, alice.id)
    assert client.post(f"{SESSION}/refresh", headers=CSRF).status_code == 200


def test_refresh_rotates_the_cookie_and_a_reused_one_ends_the_family(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    first = assert_sets_cookie(sign_in(client, alice.email), settings)
    # The client's cookie jar sends the cookie by itself, as a browser does.
    rotated = client.post(f"{SESSION}/refresh", headers=CSRF)
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"access_token", "token_type", "expires_in"}
    second = assert_sets_cookie(rotated, settings)
    assert second != first
    assert client.cookies[COOKIE] == second
    assert _me(client, rotated.json()["access_token"]) == 200

    reused = refresh_with(client, first)
    assert_problem(reused, 401, "refresh_token_reused")
    assert_clears_cookie(reused)
    # The whole family ended: the successor is refused too.
    assert_problem(refresh_with(client, second), 401, "invalid_refresh_token")
    assert _live_tokens(settings, alice.id) == {_digest(alice.refresh_token)}


def test_refresh_without_a_valid_cookie_is_401_and_clears_it(client: TestClient) -> None:
    missing = client.post(f"{SESSION}/refresh", headers=CSRF)
    assert_problem(missing, 401, "invalid_refresh_token")
    assert_clears_cookie(missing)
    for junk in ("made-up", "x" * 500, '""'):
        invalid = refresh_with(client, junk)
        assert_problem(invalid, 401, "invalid_refresh_token")
        assert_clears_cookie(invalid)


def test_the_api_clients_refresh_token_also_works_as_a_cookie_and_back(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    """One store of refresh tokens: the cookie and the JSON body are two ways to carry the same thing."""
    rotated = refresh_with(client, alice.refresh_token)
    successor = assert_sets_cookie(rotated, settings)
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": successor})
    assert again.status_code == 200, again.text


def test_sign_out_revokes_the_family_and_clears_the_cookie(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    first = assert_sets_cookie(sign_in(client, alice.email), settings)
    second = assert_sets_cookie(client.post(f"{SESSION}/refresh", headers=CSRF), settings)
    assert_problem(client.delete(SESSION), 403, "csrf_required")
    assert _digest(second) in _live_tokens(settings, alice.id)

    signed_out = client.delete(SESSION, headers=CSRF)
    assert signed_out.status_code == 204 and signed_out.content == b""
    assert_clears_cookie(signed_out)
    assert COOKIE not in client.cookies
    for token in (first, second):
        assert_problem(refresh_with(client, token), 401, "invalid_refresh_token")
    # Only this session ended: the other one (alice's API login) lives on.
    assert _live_tokens(settings, alice.id) == {_digest(alice.refresh_token)}
    again = client.delete(SESSION, headers=CSRF)
    assert again.status_code == 204
    assert_clears_cookie(again)


def test_sign_out_everywhere_ends_every_access_and_refresh_token(
    client: TestClient, alice: Account, bob: Account, settings: Settings
) -> None:
    session = sign_in(client, alice.email)
    cookie = assert_sets_cookie(session, settings)
    access = session.json()["access_token"]
    assert _me(client, alice.access_token) == _me(client, access) == 200

    revoked = client.post(REVOKE_ALL, headers=bearer(access))
    assert revoked.status_code == 204, revoked.text
    assert_clears_cookie(revoked)
    for token in (access, alice.access_token):
        problem = assert_problem(client.get("/api/v1/links", headers=bearer(token)), 401, "invalid_token")
        assert "signed out everywhere" in problem["detail"]
    assert_problem(refresh_with(client, cookie), 401, "invalid_refresh_token")
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert_problem(refused, 401, "invalid_refresh_token")
    assert _live_tokens(settings, alice.id) == set()
    # Bob's sessions are his own; and alice signs in again at once.
    assert _me(client, bob.access_token) == 200
    fresh = sign_in(client, alice.email)
    assert fresh.status_code == 200
    assert _me(client, fresh.json()["access_token"]) == 200
    assert client.post(f"{SESSION}/refresh", headers=CSRF).status_code == 200

    entries = sql(settings, "SELECT actor_id, entity_id, action FROM audit_log WHERE action = 'user.sessions_revoke'")
    assert [tuple(entry) for entry in entries] == [(alice.id, alice.id, "user.sessions_revoke")]


def test_sign_out_everywhere_needs_a_session(client: TestClient, alice: Account) -> None:
    created = client.post("/api/v1/api-keys", json={"name": "script"}, headers=alice.headers)
    key = {"X-API-Key": created.json()["key"]}
    assert_problem(client.post(REVOKE_ALL, headers=key), 403, "session_required")
    assert_problem(client.post(REVOKE_ALL), 401, "unauthorized")
    assert _me(client, alice.access_token) == 200


def test_a_refresh_token_older_than_the_sign_out_is_refused(
    client: TestClient, alice: Account, settings: Settings
) -> None:
    """Sign-out-everywhere revokes every token it sees; a successor a concurrent rotation committed
    unseen (created before the sign-out) must still be refused, with its family."""
    token = assert_sets_cookie(sign_in(client, alice.email), settings)
    sql(settings, "UPDATE users SET sessions_revoked_at = clock_timestamp() WHERE id = $1", alice.id)
    assert _digest(token) in _live_tokens(settings, alice.id)
    problem = assert_problem(refresh_with(client, token), 401, "invalid_refresh_token")
    assert "sign-out everywhere" in problem["detail"]
    assert _digest(token) not in _live_tokens(settings, alice.id)


def test_a_cross_site_form_cannot_sign_in(client: TestClient, alice: Account) -> None:
    """A form on another site can post text/plain that looks like JSON, or urlencoded fields; neither
    is the JSON the endpoint reads, so neither starts a session (login CSRF)."""
    body = f'{{"email": "{alice.email}", "password": "{PASSWORD}"}}'
    for content_type, content in (
        ("text/plain", body),
        ("application/x-www-form-urlencoded", f"email={alice.email}&password={PASSWORD}"),
        (
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n{alice.email}\r\n--x--\r\n',
        ),
    ):
        refused = client.post(SESSION, content=content, headers={"Content-Type": content_type})
        assert_problem(refused, 422, "validation_failed")
        assert not refused.headers.get_list("set-cookie")
