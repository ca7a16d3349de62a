"""Passwords: argon2id at OWASP parameters, rehash on login, equal work for unknown users."""

from __future__ import annotations

import statistics
import time

import asyncpg
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from admin.auth.passwords import HASHER, hash_password, needs_rehash, verify_password
from common.settings import Settings
from harness.stores import run_sync
from tests.admin.api import PASSWORD, Account, login


def test_hashes_are_argon2id_with_owasp_parameters() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)
    assert hash_password(PASSWORD) != hashed  # salted


def test_weaker_hashes_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak)
    assert not needs_rehash(HASHER.hash(PASSWORD))


async def _query(settings: Settings, sql: str, *args: object) -> object:
    conn = await asyncpg.connect(str(settings.database_url), server_settings={"search_path": settings.database_schema})
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def test_login_rehashes_an_outdated_hash(client: TestClient, alice: Account, settings: Settings) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    run_sync(_query(settings, "UPDATE users SET password_hash = $2 WHERE id = $1", alice.id, weak))
    assert login(client, alice.email).status_code == 200
    stored = run_sync(_query(settings, "SELECT password_hash FROM users WHERE id = $1", alice.id))
    assert isinstance(stored, str)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert login(client, alice.email).status_code == 200


def _timed_login(client: TestClient, email: str) -> float:
    started = time.perf_counter()
    assert login(client, email, "wrong password entirely").status_code == 401
    return time.perf_counter() - started


def test_unknown_user_costs_about_as_much_as_a_wrong_password(client: TestClient, alice: Account) -> None:
    # Interleaved, so that load from elsewhere on the machine hits both alike; four failures stay
    # under the account limit of five. Both paths run one argon2 verification.
    known, unknown = [], []
    for n in range(4):
        known.append(_timed_login(client, alice.email))
        unknown.append(_timed_login(client, f"nobody-{n}@example.com"))
    ratio = statistics.median(unknown) / statistics.median(known)
    # Without the dummy verification "unknown" would answer in a small fraction of the time.
    assert 0.4 < ratio < 2.5, (known, unknown)
