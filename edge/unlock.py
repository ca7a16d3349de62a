"""Password-protected links: the form, the check, and the signed cookie that spares a second prompt.

A protected link's GET answers a small HTML form (no script; its one inline style allowed by hash)
unless the request carries a valid unlock cookie; the form POSTs the password back to the same
URL. The edge checks it against the argon2id hash in the link's record (common/link_passwords.py,
in a thread), at most HOP_LINK_UNLOCK_ATTEMPTS times per client address and link per window, counted
in Redis so that every edge process shares the count. A right password sets the cookie and
redirects with 303 (the browser follows with a GET, whatever the link's own status), and the
click is counted then, once. With the cookie, later GETs redirect as for any link, and count.

The cookie is ``{expiry}.{mac}``: a keyed BLAKE2b over the code, the password hash and the expiry,
scoped to the link's path. Changing the password (a new hash) or the secret ends every unlock.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qs

from redis.exceptions import RedisError
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope

from common.link_passwords import MAX_LINK_PASSWORD_LENGTH, link_password_matches
from common.records import Keys
from common.redis import RedisClient
from edge import responses

logger = logging.getLogger("hop.edge.unlock")

COOKIE: Final = "hop_unlock"
ATTEMPT_WINDOW_S: Final = 900
# Password checks one edge process runs at once (about 20 ms of CPU each, off the event loop):
# a flood of attempts from many addresses queues here instead of taking every core from redirects.
CONCURRENT_CHECKS: Final = 2
# "password=" and the longest password: up to 4 UTF-8 bytes a character, each percent-encoded as 3.
MAX_FORM_BYTES: Final = 16 + 12 * MAX_LINK_PASSWORD_LENGTH
MAX_DISCARD_BYTES: Final = 1 << 20  # a bigger body is not read: its connection is closed unread


class Unlocked:
    """A right password: the response sends this cookie with its redirect."""

    __slots__ = ("cookie",)

    def __init__(self, cookie: bytes) -> None:
        self.cookie = cookie


class UnlockGate:
    """Decides, for one protected link and one request, between the form and the redirect."""

    __slots__ = ("_address", "_checking", "_keys", "_redis", "_secret", "_ttl_s", "attempts")

    def __init__(
        self,
        *,
        redis: RedisClient,
        keys: Keys,
        secret: str,
        ttl_s: int,
        attempts: int,
        address: Callable[[Scope], str],
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._secret = hashlib.blake2b(secret.encode(), digest_size=32).digest()
        self._ttl_s = ttl_s
        self.attempts = attempts
        self._address = address
        self._checking = asyncio.Semaphore(CONCURRENT_CHECKS)

    def unlocked(self, scope: Scope, code: str, link: responses.ProtectedLink) -> bool:
        """Whether the request carries this link's unlock cookie, unexpired and signed by us."""
        token = _cookie(scope)
        if token is None:
            return False
        expiry, _, mac = token.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return False
        return hmac.compare_digest(mac, self._mac(code, link.password_hash, expiry))

    async def attempt(
        self, scope: Scope, receive: Receive, code: str, link: responses.ProtectedLink
    ) -> Unlocked | responses.StaticResponse:
        """Check a POSTed password: the cookie to send with the redirect, or the page to answer."""
        password = await _posted_password(scope, receive)
        if password is None:
            return responses.UNLOCK_BAD_FORM
        key = self._keys.unlock_attempts(code, self._address(scope))
        try:
            wait = await self._count_attempt(key)
        except (RedisError, OSError) as error:
            # Unthrottled guessing is what the limit exists to stop: no Redis, no attempt.
            logger.warning("password attempt refused, redis unavailable: %s", error)
            return responses.UNAVAILABLE
        if wait:
            return responses.unlock_throttled(wait)
        async with self._checking:
            matches = await link_password_matches(link.password_hash, password)
        if not matches:
            return responses.UNLOCK_WRONG
        try:
            await self._redis.delete(key)  # the visitor is in: their count starts again
        except (RedisError, OSError) as error:
            logger.warning("password attempts not reset, redis unavailable: %s", error)
        return Unlocked(self._cookie(scope, code, link))

    async def _count_attempt(self, key: str) -> int:
        """Seconds until the client may try again (0: go ahead), counting this attempt."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, ATTEMPT_WINDOW_S, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        return max(1, int(ttl)) if int(count) > self.attempts else 0

    def _cookie(self, scope: Scope, code: str, link: responses.ProtectedLink) -> bytes:
        """``code``: the link's edge key, which the MAC binds the cookie to; the path is its code alone."""
        expiry = str(int(time.time()) + self._ttl_s)
        token = f"{expiry}.{self._mac(code, link.password_hash, expiry)}"
        secure = "; Secure" if scope.get("scheme") == "https" or _forwarded_https(scope) else ""
        path = code.rpartition("/")[2]
        return f"{COOKIE}={token}; Path=/{path}; Max-Age={self._ttl_s}; HttpOnly; SameSite=Lax{secure}".encode(
            "latin-1"
        )

    def _mac(self, code: str, password_hash: str, expiry: str) -> str:
        message = f"{code}\n{password_hash}\n{expiry}".encode()
        digest = hashlib.blake2b(message, key=self._secret, digest_size=18).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")


def _cookie(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            token = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if token:
                return token
    return None


async def _discard_body(receive: Receive, message: Message, read: int) -> None:
    """Read the rest of a body too big to be a password, up to ``MAX_DISCARD_BYTES`` in all, so that
    the answer reaches the client: a connection closed with its request unread is reset, and a
    reset can destroy the answer before the client reads it."""
    while message.get("more_body", False) and read <= MAX_DISCARD_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        read += len(message.get("body", b""))


def _forwarded_https(scope: Scope) -> bool:
    # Only a hint for the cookie's Secure flag: a lie costs the liar their own cookie.
    return any(name == b"x-forwarded-proto" and value.strip() == b"https" for name, value in scope["headers"])


async def _posted_password(scope: Scope, receive: Receive) -> str | None:
    """The form's ``password`` field; None for a body that is not a small urlencoded form."""
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    if content_type.split(b";")[0].strip().lower() != b"application/x-www-form-urlencoded":
        return None
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES:
            await _discard_body(receive, message, len(body))
            return None
        if not message.get("more_body", False):
            break
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=4, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    values: list[str] = fields.get("password", [])
    if len(values) != 1 or len(values[0]) > MAX_LINK_PASSWORD_LENGTH:
        return None
    return values[0]
