"""Sign-in throttling under real concurrency, and why it cannot be used to lock the owner out.

Requests run truly concurrently in one in-process app (tests/admin/asgi.py) against the real
Redis; every password the app verifies is counted by wrapping the route's verifier. A hundred
requests at once also exhaust the app's Redis connection pool (64): an attempt that cannot get a
connection must wait or be refused, never be let through unthrottled.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx
import pytest
from redis.asyncio import Redis

import admin.routes.auth as auth_routes
from admin.auth import passwords
from admin.auth.throttle import ACCOUNT_LIMIT, IP_LIMIT, PAIR_LIMIT, account_subject, address_subject
from common.records import Keys
from common.settings import Settings
from tests.admin.api import PASSWORD
from tests.admin.asgi import InProcessAdmin, in_process_admin
from tests.helpers import wait_until_async

WRONG = "not the password at all, sorry"
ATTACKER = "198.51.100.66"
OWNER = "203.0.113.5"
Verified = list[bool]


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> Verified:
    """Every password the login route verifies (True: it was right), in order."""
    results: Verified = []
    real: Callable[[str | None, str], Awaitable[bool]] = passwords.verify_password_async

    async def counting(password_hash: str | None, password: str) -> bool:
        result = await real(password_hash, password)
        results.append(result)
        return result

    monkeypatch.setattr(auth_routes, "verify_password_async", counting)
    return results


async def _register(admin: InProcessAdmin, email: str) -> None:
    client = await admin.client()
    response = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 202, response.text


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_concurrent_guesses_verify_no_more_passwords_than_the_limit(
    settings: Settings, verified: Verified
) -> None:
    email = "concurrent@example.com"
    guesses = [WRONG] * 99
    guesses.insert(50, PASSWORD)
    async with in_process_admin(settings) as admin:
        await _register(admin, email)
        client = await admin.client(ATTACKER)
        responses = await asyncio.gather(*(_login(client, email, guess) for guess in guesses))
    statuses = Counter(response.status_code for response in responses)
    # Every attempt took its slot before argon2 ran: only the first five were verified at all.
    assert len(verified) == PAIR_LIMIT.max_failures, (len(verified), statuses)
    assert statuses[401] + statuses[200] == PAIR_LIMIT.max_failures, statuses
    assert statuses[429] == len(guesses) - PAIR_LIMIT.max_failures, statuses
    retry_after = {int(r.headers["retry-after"]) for r in responses if r.status_code == 429}
    assert all(0 < seconds <= PAIR_LIMIT.window_s for seconds in retry_after), retry_after


async def test_an_attackers_guesses_do_not_lock_the_owner_out(settings: Settings, verified: Verified) -> None:
    email = "owner@example.com"
    async with in_process_admin(settings) as admin:
        await _register(admin, email)
        attacker, owner = await admin.client(ATTACKER), await admin.client(OWNER)
        for _ in range(PAIR_LIMIT.max_failures):
            assert (await _login(attacker, email, WRONG)).status_code == 401
        # The attacker's address is stopped, even with the right password, and nothing is verified...
        blocked = await _login(attacker, email, PASSWORD)
        assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= PAIR_LIMIT.window_s
        assert len(verified) == PAIR_LIMIT.max_failures
        # ...while the owner, from their own address, signs in at once.
        assert (await _login(owner, email, PASSWORD)).status_code == 200


async def test_the_right_password_waits_for_the_window_to_end(settings: Settings) -> None:
    email = "patient@example.com"
    async with in_process_admin(settings) as admin:
        await _register(admin, email)
        client = await admin.client(ATTACKER)
        for _ in range(PAIR_LIMIT.max_failures):
            await _login(client, email, WRONG)
        assert (await _login(client, email, PASSWORD)).status_code == 429
        # End the window early (instead of waiting 15 minutes): the same request then succeeds.
        redis = Redis.from_url(str(settings.redis_url))
        try:
            await redis.expire(Keys(settings.redis_prefix).throttle(PAIR_LIMIT.scope, account_subject(email)), 1)
        finally:
            await redis.aclose()

        async def attempt() -> int:
            return (await _login(client, email, PASSWORD)).status_code

        await wait_until_async(attempt, lambda status: status == 200, interval=0.2, what="the window to end")


async def test_a_successful_sign_in_clears_its_address_counter(settings: Settings) -> None:
    email = "forgetful@example.com"
    async with in_process_admin(settings) as admin:
        await _register(admin, email)
        client = await admin.client(OWNER)
        for _ in range(PAIR_LIMIT.max_failures - 1):
            assert (await _login(client, email, WRONG)).status_code == 401
        assert (await _login(client, email, PASSWORD)).status_code == 200
        for _ in range(PAIR_LIMIT.max_failures):
            assert (await _login(client, email, WRONG)).status_code == 401
        assert (await _login(client, email, PASSWORD)).status_code == 429


async def test_one_address_guessing_many_accounts_is_stopped(settings: Settings, verified: Verified) -> None:
    async with in_process_admin(settings) as admin:
        await _register(admin, "target@example.com")
        client, elsewhere = await admin.client(ATTACKER), await admin.client(OWNER)
        for n in range(IP_LIMIT.max_failures):
            assert (await _login(client, f"guess{n}@example.com", WRONG)).status_code == 401
        assert (await _login(client, "target@example.com", PASSWORD)).status_code == 429
        assert len(verified) == IP_LIMIT.max_failures
        assert (await _login(elsewhere, "target@example.com", PASSWORD)).status_code == 200


async def test_guesses_from_many_addresses_meet_the_account_backstop(settings: Settings, verified: Verified) -> None:
    email = "backstop@example.com"
    per_address = PAIR_LIMIT.max_failures
    addresses = [f"198.51.100.{n}" for n in range(ACCOUNT_LIMIT.max_failures // per_address + 2)]
    async with in_process_admin(settings) as admin:
        await _register(admin, email)
        clients = [await admin.client(address) for address in addresses]
        responses = await asyncio.gather(
            *(_login(client, email, WRONG) for client in clients for _ in range(per_address))
        )
        owner = await admin.client(OWNER)
        assert (await _login(owner, email, PASSWORD)).status_code == 429
    statuses = Counter(response.status_code for response in responses)
    assert statuses[401] == ACCOUNT_LIMIT.max_failures == len(verified), statuses


def test_ipv6_clients_are_counted_per_64() -> None:
    assert address_subject("2001:db8:1:2:aaaa::1") == address_subject("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_subject("2001:db8:1:3::1") != address_subject("2001:db8:1:2::1")
    assert address_subject("::ffff:192.0.2.7") == address_subject("192.0.2.7") == "192.0.2.7"
    assert address_subject("not an address") == "not an address"
