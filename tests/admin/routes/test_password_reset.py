"""Password reset: a single-use, expiring link mailed over real SMTP (aiosmtpd), or logged in dev.

The link is built from HOP_PUBLIC_ADMIN_URL, never from the request's Host header, and carries
the token in its fragment. Mail per address is limited atomically, however many requests race.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from email.message import Message

import asyncpg
import pytest
from httpx2 import Response
from redis.asyncio import Redis
from starlette.testclient import TestClient

from admin.auth.throttle import ACCOUNT_LIMIT, PAIR_LIMIT, REGISTER_NOTICE_LIMIT, RESET_LIMIT, account_subject
from common.settings import Settings
from harness.stores import run_sync
from tests.admin.api import PASSWORD, assert_problem, login, register, sign_up
from tests.admin.asgi import in_process_admin
from tests.admin.conftest import ClientFactory
from tests.admin.db import sql
from tests.conftest import SettingsFactory
from tests.helpers import wait_until, wait_until_in_loop
from tests.mail import Inbox, mail_text, smtp_sink

NEW_PASSWORD = "a brand new passphrase"
PUBLIC_ADMIN_URL = "https://admin.hop.example/console"
TOKEN_RE = re.compile(r"/reset-password#token=([A-Za-z0-9_-]{40,})\r?$", re.MULTILINE)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def mailing_client(
    smtp: tuple[Inbox, int], settings_factory: SettingsFactory, client_factory: ClientFactory
) -> tuple[TestClient, Inbox, Settings]:
    inbox, port = smtp
    settings = settings_factory(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        mail_from="hop@example.org",
        public_admin_url=PUBLIC_ADMIN_URL,
    )
    return client_factory(settings), inbox, settings


def _token(message: Message) -> str:
    match = TOKEN_RE.search(mail_text(message))
    assert match, mail_text(message)
    return match[1]


def _confirm(client: TestClient, token: str, password: str = NEW_PASSWORD) -> Response:
    return client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": password})


def test_reset_by_mail_sets_a_new_password_once(mailing_client: tuple[TestClient, Inbox, Settings]) -> None:
    client, inbox, _ = mailing_client
    account = sign_up(client, "forgetful@example.com")

    requested = client.post("/api/v1/auth/password-reset", json={"email": "Forgetful@example.com"})
    assert requested.status_code == 202
    [(envelope, message)] = inbox.wait(1)
    assert envelope.rcpt_tos == ["forgetful@example.com"]
    assert message["From"] == "hop@example.org"
    assert "password" in message["Subject"].lower()
    token = _token(message)

    assert_problem(_confirm(client, token, "short"), 422, "validation_failed")
    # A weak password is refused without spending the token.
    assert_problem(_confirm(client, token, "passwordpassword"), 422, "weak_password")
    assert _confirm(client, token).status_code == 204
    assert login(client, account.email, NEW_PASSWORD).status_code == 200
    assert_problem(login(client, account.email, PASSWORD), 401, "invalid_credentials")
    # Single use, and the sessions from before the reset are over.
    assert_problem(_confirm(client, token, "yet another passphrase"), 400, "invalid_reset_token")
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(refreshed, 401, "invalid_refresh_token")


def test_unknown_addresses_get_the_same_answer_and_no_mail(mailing_client: tuple[TestClient, Inbox, Settings]) -> None:
    client, inbox, _ = mailing_client
    sign_up(client, "known@example.com")
    response = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert response.status_code == 202
    assert response.json()["detail"].startswith("if the address has an account")
    # The event that proves the request above was fully handled: the mail of a reset asked after it,
    # for an account, arrives at the same server. Any mail for the unknown address would be there too.
    assert client.post("/api/v1/auth/password-reset", json={"email": "known@example.com"}).status_code == 202
    inbox.wait_for_mail_to("known@example.com")
    assert inbox.recipients() == [["known@example.com"]]


def test_an_expired_token_is_refused(mailing_client: tuple[TestClient, Inbox, Settings]) -> None:
    client, inbox, settings = mailing_client
    sign_up(client, "late@example.com")
    client.post("/api/v1/auth/password-reset", json={"email": "late@example.com"})
    token = _token(inbox.wait(1)[0][1])

    async def expire() -> None:
        conn = await asyncpg.connect(
            str(settings.database_url), server_settings={"search_path": settings.database_schema}
        )
        try:
            await conn.execute("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        finally:
            await conn.close()

    run_sync(expire())
    assert_problem(_confirm(client, token), 400, "invalid_reset_token")
    assert_problem(_confirm(client, "made-up-token"), 400, "invalid_reset_token")


def test_without_smtp_host_the_mail_is_logged(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.smtp_host is None
    sign_up(client, "devmode@example.com")

    def logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "hop.admin.mail"]

    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        assert client.post("/api/v1/auth/password-reset", json={"email": "devmode@example.com"}).status_code == 202
        wait_until(logged, what="the mail in the log")  # it is sent in the background
    assert len(logged()) == 1
    assert "devmode@example.com" in logged()[0]
    match = TOKEN_RE.search(logged()[0])
    assert match
    assert _confirm(client, match[1]).status_code == 204


def test_reset_mail_is_limited_per_address(
    mailing_client: tuple[TestClient, Inbox, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    client, inbox, _ = mailing_client
    sign_up(client, "flooded@example.com")
    sign_up(client, "sentinel@example.com")

    def suppressed() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "hop.admin.auth" and "suppressed" in r.getMessage()]

    with caplog.at_level(logging.WARNING, logger="hop.admin.auth"):
        for _ in range(RESET_LIMIT.max_failures + 2):
            assert client.post("/api/v1/auth/password-reset", json={"email": "flooded@example.com"}).status_code == 202
        # Every request over the limit is handled when its warning is logged; the mail of a reset asked
        # after all of them, for another address, arriving proves that none is still on its way.
        wait_until(suppressed, lambda lines: len(lines) >= 2, what="two suppressed password-reset mails")
        assert client.post("/api/v1/auth/password-reset", json={"email": "sentinel@example.com"}).status_code == 202
        inbox.wait_for_mail_to("sentinel@example.com")
    assert len(suppressed()) == 2
    flooded = [["flooded@example.com"]] * RESET_LIMIT.max_failures
    assert sorted(inbox.recipients()) == [*flooded, ["sentinel@example.com"]]


def test_the_mail_links_to_the_public_admin_url_whatever_the_host_header(
    mailing_client: tuple[TestClient, Inbox, Settings],
) -> None:
    client, inbox, _ = mailing_client
    sign_up(client, "victim@example.com")
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
    assert client.post("/api/v1/auth/password-reset", json={"email": "victim@example.com"}, headers=spoofed).is_success
    text = mail_text(inbox.wait(1)[0][1])
    assert "evil.example" not in text
    # A link to the dashboard's page, the token in the fragment (which browsers never send on).
    assert f"    {PUBLIC_ADMIN_URL}/reset-password#token={_token(inbox.messages[0][1])}" in text.splitlines()
    assert "POST" not in text


def test_without_a_public_admin_url_links_use_the_admins_own_address(
    client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    sign_up(client, "local@example.com")
    with caplog.at_level(logging.INFO, logger="hop.admin.mail"):
        client.post(
            "/api/v1/auth/password-reset", json={"email": "local@example.com"}, headers={"Host": "evil.example"}
        )
        wait_until(lambda: "reset-password#token=" in caplog.text, what="the mail in the log")
    assert f"http://{settings.admin_host}:{settings.admin_port}/reset-password#token=" in caplog.text
    assert "evil.example" not in caplog.text


async def test_concurrent_reset_requests_send_exactly_the_limit(
    smtp: tuple[Inbox, int], settings_factory: SettingsFactory
) -> None:
    inbox, port = smtp
    settings = settings_factory(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    async with in_process_admin(settings) as admin:
        client = await admin.client()
        for email in ("flood@example.com", "sentinel@example.com"):
            assert (await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})).is_success
        requests = [client.post("/api/v1/auth/password-reset", json={"email": "flood@example.com"}) for _ in range(30)]
        assert {response.status_code for response in await asyncio.gather(*requests)} == {202}
        # A reset for another address, asked after all of them: its mail arriving proves none is still on its way.
        await client.post("/api/v1/auth/password-reset", json={"email": "sentinel@example.com"})
        await wait_until_in_loop(
            lambda: [r for r in inbox.recipients() if r == ["sentinel@example.com"]], what="the sentinel's mail"
        )
    assert inbox.recipients().count(["flood@example.com"]) == RESET_LIMIT.max_failures


def test_a_reset_clears_the_accounts_sign_in_throttle(mailing_client: tuple[TestClient, Inbox, Settings]) -> None:
    client, inbox, settings = mailing_client
    account = sign_up(client, "locked@example.com")
    for _ in range(PAIR_LIMIT.max_failures):
        assert_problem(login(client, account.email, "wrong password entirely"), 401)
    assert_problem(login(client, account.email), 429, "too_many_requests")

    client.post("/api/v1/auth/password-reset", json={"email": account.email})
    assert _confirm(client, _token(inbox.wait(1)[0][1])).status_code == 204
    subject = account_subject(account.email)
    account_keys = [f"throttle:{scope}:{subject}" for scope in (ACCOUNT_LIMIT.scope, PAIR_LIMIT.scope)]
    assert _redis_keys(settings, *account_keys) == 0
    # From the very address that was stopped: the owner proved they hold the mailbox.
    assert login(client, account.email, NEW_PASSWORD).status_code == 200


def _redis_keys(settings: Settings, *names: str) -> int:
    async def count() -> int:
        redis = Redis.from_url(str(settings.redis_url))
        try:
            return int(await redis.exists(*(f"{settings.redis_prefix}{name}" for name in names)))
        finally:
            await redis.aclose()

    return run_sync(count())


def test_registering_a_taken_address_notifies_its_owner(mailing_client: tuple[TestClient, Inbox, Settings]) -> None:
    client, inbox, settings = mailing_client
    sign_up(client, "taken@example.com")
    before = sql(settings, "SELECT * FROM users")
    for _ in range(REGISTER_NOTICE_LIMIT.max_failures + 2):
        assert register(client, "Taken@example.com", "someone else's passphrase here").status_code == 202
    client.post("/api/v1/auth/password-reset", json={"email": "taken@example.com"})
    mails = inbox.wait(REGISTER_NOTICE_LIMIT.max_failures + 1)
    assert sql(settings, "SELECT * FROM users") == before
    notices = [message for envelope, message in mails if "already has one" in mail_text(message)]
    assert len(notices) == REGISTER_NOTICE_LIMIT.max_failures
    assert f"    {PUBLIC_ADMIN_URL}/" in mail_text(notices[0]).splitlines()
