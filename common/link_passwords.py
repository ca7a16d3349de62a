"""Link passwords: hashed at rest by the admin, checked by the edge, never stored or logged in clear.

argon2id at OWASP's parameters (m=19 MiB, t=2, p=1), as for accounts: about 20 ms of C code that
does not hold the GIL, so both sides run it in a thread. A link password is a secret shared with
the link's audience, not an account's, so the policy asks only for a length; guessing is slowed
by the edge's throttle per client address and link (edge/unlock.py).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LINK_PASSWORD_LENGTH: Final = 4
# argon2's cost grows with its input: a cap keeps one attempt from becoming a CPU denial of service.
MAX_LINK_PASSWORD_LENGTH: Final = 256


@cache
def _hasher() -> PasswordHasher:
    # Loaded on first use: an edge serving no protected link never loads argon2.
    from argon2 import PasswordHasher
    from argon2.low_level import Type

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


async def hash_link_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def link_password_matches(password_hash: str, password: str) -> bool:
    """True when ``password`` is the link's; False for any other, or for an attempt too long to hash."""
    if len(password) > MAX_LINK_PASSWORD_LENGTH:
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
