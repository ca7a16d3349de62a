"""Password hashing with argon2id at OWASP's recommended parameters, and the password policy.

The policy (docs/security.md): at least 15 characters (OWASP, for accounts without MFA, which
Hop does not offer), at most 256, no composition rules, and not guessable: zxcvbn checks the
password against the common-password list it ships (the 30,000 most common of Mark Burnett's
10 million leaked passwords) and its word lists, with l33t substitutions, repeats, sequences,
keyboard walks, dates and the user's own e-mail address, and must estimate at least 10^10
guesses (its top score, 4: at 15 characters that refuses "Password1234567!" and "Welcome2024!!!!!",
which score 3, and lets any passphrase of a few words through).
"""

from __future__ import annotations

import asyncio
import re
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 15
# argon2 cost grows with input; a cap keeps one login from becoming a CPU denial of service.
MAX_PASSWORD_LENGTH = 256
# zxcvbn's cost grows faster than the length (about 50 ms for 40 random characters, seconds for
# 256), so it judges the first 40: a password whose first 40 characters are hard to guess is.
JUDGED_LENGTH = 40
# zxcvbn's top score: at least 10^10 guesses.
MIN_SCORE = 4
# Words everyone guesses first for this service.
SERVICE_WORDS = ("hop", "hopper", "shortlink", "short link", "url shortener")

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
# Verified when the e-mail is unknown, so that "no such user" costs as long as "wrong password".
_DUMMY_HASH = HASHER.hash("hop-timing-equaliser-not-a-password")
# zxcvbn keeps the caller's words in a module-level dict during a check: one check at a time.
_ZXCVBN_LOCK = threading.Lock()


class WeakPassword(Exception):
    """The password breaks the policy; the message says how, never what the password is."""

    error_code = "weak_password"


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


def email_words(email: str) -> list[str]:
    """The address and its parts (``alice.smith@example.com``: alice, smith, example, ...), which a
    guesser who knows the account tries first."""
    lowered = email.strip().lower()
    return [lowered, *(part for part in re.split(r"[^a-z0-9]+", lowered) if len(part) >= 3)]


def check_password(password: str, *, email: str | None = None) -> None:
    """Raises WeakPassword when ``password`` breaks the policy; ``email`` is the account's address.

    Raises:
        WeakPassword
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"use at most {MAX_PASSWORD_LENGTH} characters")
    words = [*SERVICE_WORDS, *(email_words(email) if email else [])]
    with _ZXCVBN_LOCK:
        result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=words)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        hints = " ".join([feedback["warning"], *feedback["suggestions"]]).strip()
        raise WeakPassword(f"this password is common or easy to guess. {hints}".strip())


async def check_password_async(password: str, *, email: str | None = None) -> None:
    """``check_password`` in a thread: a check can take tens of milliseconds of CPU.

    Raises:
        WeakPassword
    """
    await asyncio.to_thread(check_password, password, email=email)
