"""Throttling in Redis: sign-in guesses, and mail sent to one address.

Every attempt takes its slot in one atomic Lua step *before* the password is verified: the
step checks every counter of the attempt and, only when none is at its limit, counts the
attempt in all of them. So however many requests arrive at once, at most ``max_failures``
passwords are verified per window; the others get 429 with Retry-After, a right password too.

Sign-in counters (docs/security.md, "Accounts and sessions"):

- per (account, client address): 5 guesses per 15 minutes. This is the limit an attacker meets;
  the owner, signing in from elsewhere, does not share it. The counters of one account are the
  fields of one Redis hash, so a password reset clears them all with one DEL.
- per account, from any address: 100 per hour, the backstop against guessing from many addresses.
- per client address, for any account: 20 per 15 minutes (IPv6: per /64, which one host owns).

A verified password gives its slots back: its (account, address) counter is cleared and the
other two counters count one attempt fewer, so they only ever count failures. The account
subject is a hash of the e-mail, not the address. If Redis is down, nothing is throttled rather
than nobody signing in: argon2 still makes guessing slow, and the outage is logged. A busy
Redis client (every pooled connection in use, which a flood of requests can cause) is not an
outage: the attempt waits up to a second for a connection, then is refused (429), never let through.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from redis.exceptions import MaxConnectionsError, RedisError

from common.records import Keys
from common.redis import RedisClient

logger = logging.getLogger("hop.admin.throttle")


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    max_failures: int
    window_s: int


# OWASP Authentication Cheat Sheet: a handful of failures, then minutes of waiting, never a lockout.
PAIR_LIMIT = Limit("login-pair", max_failures=5, window_s=15 * 60)
# Slower: stops guessing spread over many addresses, without letting one address lock the owner out.
ACCOUNT_LIMIT = Limit("login-account", max_failures=100, window_s=60 * 60)
# Wider than one account: many users may share one NAT address, but one address guessing many accounts must stop.
IP_LIMIT = Limit("login-ip", max_failures=20, window_s=15 * 60)
# Password-reset mail per address: enough for a lost mail, too few to flood someone's inbox.
RESET_LIMIT = Limit("reset-mail", max_failures=5, window_s=60 * 60)
# "Someone tried to register with your address" notices, per address: same reasoning.
REGISTER_NOTICE_LIMIT = Limit("register-mail", max_failures=5, window_s=60 * 60)


@dataclass(frozen=True, slots=True)
class Counter:
    """One counter an attempt is counted in: a plain key, or one field of a hash when ``field`` is set."""

    limit: Limit
    subject: str
    field: str = ""


# A flood must not turn "no free connection" into "no throttle": wait this long, then refuse.
BUSY_WAIT_S = 1.0
BUSY_POLL_S = 0.02

# KEYS[i] is a counter's key; ARGV holds (field, max, window) per key, field "" for a plain counter.
# Checks every counter first and counts in none when one is full: answers 0, or seconds to wait.
_TAKE = """
local wait = 0
for i, key in ipairs(KEYS) do
  local field, max, window = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local count
  if field == '' then count = redis.call('GET', key) else count = redis.call('HGET', key, field) end
  if count and tonumber(count) >= max then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, window)
      ttl = window
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local field, window = ARGV[3 * i - 2], tonumber(ARGV[3 * i])
  if field == '' then redis.call('INCR', key) else redis.call('HINCRBY', key, field, 1) end
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, window) end
end
return 0
"""

# After a verified password: a hash field is cleared, a plain counter counts one attempt fewer.
_GIVE_BACK = """
for i, key in ipairs(KEYS) do
  local field = ARGV[i]
  if field ~= '' then
    redis.call('HDEL', key, field)
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 0
"""


# The wait (seconds) answered when the attempt could not be counted because the client was busy.
BUSY = 1


def _pool_exhausted(error: Exception) -> bool:
    # redis-py before 7.1 raised a plain ConnectionError with this message from its asyncio pool.
    return isinstance(error, MaxConnectionsError) or str(error) == "Too many connections"


def account_subject(email: str) -> str:
    """The account's counter subject: a hash of the normalised e-mail (Redis never holds the address)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def address_subject(client_ip: str) -> str:
    """The client's counter subject: its IPv4 address, or its IPv6 /64 (one host gets a whole /64)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def login_counters(email: str, client_ip: str) -> tuple[Counter, ...]:
    """The three counters one sign-in attempt takes a slot in."""
    account, address = account_subject(email), address_subject(client_ip)
    return (
        Counter(PAIR_LIMIT, account, field=address),
        Counter(ACCOUNT_LIMIT, account),
        Counter(IP_LIMIT, address),
    )


class Throttle:
    """Atomic fixed-window counters in Redis (``{prefix}throttle:{scope}:{subject}``)."""

    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, counter: Counter) -> str:
        return self.keys.throttle(counter.limit.scope, counter.subject)

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> int | None:
        """The script's reply; None when Redis is down; BUSY when no connection freed up in time."""
        deadline = asyncio.get_running_loop().time() + BUSY_WAIT_S
        while True:
            try:
                return int(await self.redis.register_script(script)(keys=keys, args=args))
            except (RedisError, OSError) as error:
                if not _pool_exhausted(error):
                    logger.warning("throttle skipped, redis unavailable: %s", error)
                    return None
            if asyncio.get_running_loop().time() >= deadline:
                logger.warning("throttle refused an attempt: every redis connection stayed busy")
                return BUSY
            await asyncio.sleep(BUSY_POLL_S)

    async def take(self, *counters: Counter) -> int | None:
        """Count one attempt in every counter, atomically, unless one is full.

        Returns None when the attempt may go ahead (also when Redis is down), else the seconds
        until the fullest counter's window ends (and nothing was counted).
        """
        args: list[Any] = []
        for counter in counters:
            args += [counter.field, counter.limit.max_failures, counter.limit.window_s]
        wait = await self._run(_TAKE, [self._key(counter) for counter in counters], args)
        return wait or None

    async def give_back(self, *counters: Counter) -> None:
        """The attempt succeeded: clear each hash-field counter, count one fewer in each plain one."""
        await self._run(_GIVE_BACK, [self._key(counter) for counter in counters], [c.field for c in counters])

    async def clear_account(self, email: str) -> None:
        """Forget the account's sign-in failures from every address (after a password reset)."""
        subject = account_subject(email)
        keys = [self.keys.throttle(PAIR_LIMIT.scope, subject), self.keys.throttle(ACCOUNT_LIMIT.scope, subject)]
        try:
            await self.redis.delete(*keys)
        except (RedisError, OSError) as error:
            logger.warning("throttle not cleared, redis unavailable: %s", error)
