"""Password hashing with argon2id at OWASP's recommended parameters, and the password policy."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

MIN_PASSWORD_LENGTH = 12
# argon2 cost grows with input; a cap keeps one login from becoming a CPU denial of service.
MAX_PASSWORD_LENGTH = 256

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified when the e-mail is unknown, so that "no such user" costs as long as "wrong password".
_DUMMY_HASH = HASHER.hash("hop-timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a None hash still spends one verification."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


async def hash_password_async(password: str) -> str:
    # argon2 holds the GIL-free C code for ~20 ms; a thread keeps the event loop answering.
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)
