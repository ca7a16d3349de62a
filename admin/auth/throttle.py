"""Login throttling in Redis: failed attempts counted per account and per client IP.

A fixed window per subject: the first failure starts it, and once the limit is reached every
attempt is refused (429 with Retry-After) until the window ends. The account key holds a hash
of the e-mail, not the address. If Redis is down, logins are not throttled rather than
impossible: argon2 still makes guessing slow, and the outage is logged.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common.records import Keys

logger = logging.getLogger("hop.admin.throttle")


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    max_failures: int
    window_s: int


# OWASP Authentication Cheat Sheet: lock after a handful of failures, for minutes, not forever.
ACCOUNT_LIMIT = Limit("login-account", max_failures=5, window_s=15 * 60)
# Wider: many users may share one NAT address, but one address guessing many accounts must stop.
IP_LIMIT = Limit("login-ip", max_failures=20, window_s=15 * 60)
# Password-reset mail per address: enough for a lost mail, too few to flood someone's inbox.
RESET_LIMIT = Limit("reset-mail", max_failures=5, window_s=60 * 60)


def account_subject(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class Throttle:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def retry_after(self, *checks: tuple[Limit, str]) -> int | None:
        """Seconds until the first blocked (limit, subject) pair frees up, or None when none is blocked."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for limit, subject in checks:
                    key = self.keys.throttle(limit.scope, subject)
                    pipe.get(key)
                    pipe.ttl(key)
                replies = await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("throttle check skipped, redis unavailable: %s", error)
            return None
        waits = []
        for (limit, _), count, ttl in zip(checks, replies[::2], replies[1::2], strict=True):
            if count is not None and int(count) >= limit.max_failures:
                waits.append(ttl if ttl and ttl > 0 else limit.window_s)
        return max(waits) if waits else None

    async def hit(self, *checks: tuple[Limit, str]) -> None:
        """Count one failure (or one use) against each pair."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for limit, subject in checks:
                    key = self.keys.throttle(limit.scope, subject)
                    pipe.incr(key)
                    pipe.expire(key, limit.window_s, nx=True)
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("throttle not recorded, redis unavailable: %s", error)

    async def clear(self, limit: Limit, subject: str) -> None:
        try:
            await self.redis.delete(self.keys.throttle(limit.scope, subject))
        except (RedisError, OSError) as error:
            logger.warning("throttle not cleared, redis unavailable: %s", error)
